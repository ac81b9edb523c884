/**
 * Locks in the fake Auth Service, with Teleport's semantics: an upsert replaces the lock of the
 * same name; a lock is in force until its `Spec.Expires`; the Auth Service deletes it at its
 * `Metadata.Expires` (backend TTL); a listing target matches a lock when every field the target
 * sets equals the lock's. RBAC is checked by the RPC layer, not here.
 *
 * @module
 */

import type { Lock } from "../../teleport/types.ts";
import { badParameter, notFound } from "./errors.ts";

/** `types.LockTarget`'s fields (field 4, `Node`, is reserved). */
export const LOCK_TARGET_FIELDS = [
  "user",
  "role",
  "login",
  "mfaDevice",
  "windowsDesktop",
  "accessRequest",
  "device",
  "serverId",
] as const;

/** One field of a lock target. */
export type LockTargetField = typeof LOCK_TARGET_FIELDS[number];

/** A lock target: "" for every field it does not set. */
export type StoredLockTarget = Readonly<Record<LockTargetField, string>>;

/** A lock as stored. Times are milliseconds since the epoch. */
export interface StoredLock {
  readonly name: string;
  readonly target: StoredLockTarget;
  readonly message: string;
  /** `Spec.Expires`: the lock is in force before this; undefined = forever. */
  readonly expires: number | undefined;
  /** `Metadata.Expires`: the lock is deleted at this time; undefined = never. */
  readonly deleteAt: number | undefined;
  readonly createdAt: number;
  readonly createdBy: string;
}

/** A target with every field "" except those given. */
export function lockTarget(fields: Partial<Record<LockTargetField, string>>): StoredLockTarget {
  const target = {} as Record<LockTargetField, string>;
  for (const field of LOCK_TARGET_FIELDS) target[field] = fields[field] ?? "";
  return target;
}

/** Whether the target sets no field (Teleport refuses such locks and matches nothing with it). */
export function isEmptyTarget(target: StoredLockTarget): boolean {
  return LOCK_TARGET_FIELDS.every((field) => target[field] === "");
}

/** Teleport's `LockTarget.Match`: every field the filter sets equals the lock's. */
export function targetMatches(filter: StoredLockTarget, lock: StoredLock): boolean {
  if (isEmptyTarget(filter)) return false;
  return LOCK_TARGET_FIELDS.every((field) =>
    filter[field] === "" || filter[field] === lock.target[field]
  );
}

/** Whether the lock is in force at `now`. */
export function inForce(lock: StoredLock, now: number): boolean {
  return lock.expires === undefined || now < lock.expires;
}

/** A domain view of a stored lock, as the plugin would decode it. */
export function lockView(lock: StoredLock): Lock {
  return {
    name: lock.name,
    message: lock.message,
    expires: lock.expires === undefined ? undefined : new Date(lock.expires),
    target: { accessRequest: lock.target.accessRequest },
    createdAt: new Date(lock.createdAt),
    createdBy: lock.createdBy,
  };
}

/** The locks of one fake cluster. */
export class LockStore {
  readonly #now: () => number;
  readonly #locks = new Map<string, StoredLock>();
  readonly #listeners = new Set<(lock: StoredLock) => void>();

  /** Creates an empty lock store reading the time from `now`. */
  constructor(now: () => number) {
    this.#now = now;
  }

  /** Calls `listener` after every upsert; returns a function that stops it. */
  onUpsert(listener: (lock: StoredLock) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Creates or replaces a lock, as `UpsertLock` does after RBAC: the name and at least one target
   * field are required; `createdAt` defaults to now.
   */
  upsert(lock: Omit<StoredLock, "createdAt"> & { readonly createdAt?: number }): StoredLock {
    if (lock.name === "") throw badParameter("missing parameter Name");
    if (isEmptyTarget(lock.target)) throw badParameter("at least one target field must be set");
    const stored: StoredLock = { ...lock, createdAt: lock.createdAt ?? this.#now() };
    this.#locks.set(stored.name, stored);
    for (const listener of this.#listeners) listener(stored);
    return stored;
  }

  /** The lock with this name; NotFound as Teleport words it when there is none. */
  get(name: string): StoredLock {
    const lock = this.#live(name);
    if (lock === undefined) throw notFound(`lock "${name}" is not found`);
    return lock;
  }

  /** The lock with this name, or undefined. */
  find(name: string): StoredLock | undefined {
    return this.#live(name);
  }

  /**
   * Every lock matching at least one target (every lock when no target is given), optionally
   * only those in force, in name order.
   */
  list(targets: readonly StoredLockTarget[], inForceOnly: boolean): StoredLock[] {
    const now = this.#now();
    this.expireDue();
    return [...this.#locks.values()]
      .filter((lock) => !inForceOnly || inForce(lock, now))
      .filter((lock) => targets.length === 0 || targets.some((t) => targetMatches(t, lock)))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Deletes the lock with this name, as `DeleteLock` (`tctl rm lock/<name>`) does; false when none. */
  delete(name: string): boolean {
    return this.#locks.delete(name);
  }

  /** Whether an in-force lock disables the certificates of this access request. */
  isRequestLocked(requestId: string): boolean {
    return this.list([lockTarget({ accessRequest: requestId })], true).length > 0;
  }

  /** Deletes the locks whose deletion time has passed; returns how many. */
  expireDue(): number {
    const now = this.#now();
    let deleted = 0;
    for (const [name, lock] of this.#locks) {
      if (lock.deleteAt !== undefined && lock.deleteAt <= now) {
        this.#locks.delete(name);
        deleted++;
      }
    }
    return deleted;
  }

  #live(name: string): StoredLock | undefined {
    const lock = this.#locks.get(name);
    if (lock?.deleteAt !== undefined && lock.deleteAt <= this.#now()) {
      this.#locks.delete(name);
      return undefined;
    }
    return lock;
  }
}
