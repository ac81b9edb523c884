/**
 * The `condition` of an Access Monitoring Rule, parsed and evaluated as Teleport's own plugins
 * do it (`lib/accessmonitoring` over the typed predicate library `lib/utils/typical` and the
 * functions of `lib/expression`). The facts are Teleport's: `access_request.spec.{user, roles,
 * suggested_reviewers, system_annotations, request_reason, creation_time, expiry}`,
 * `user.traits` (the requester's traits) and the older `plugin.spec.name`. The language is
 * Teleport's too, and so are its rules: types are checked before anything is evaluated (a rule
 * comparing sets with `==` fails even where `&&` would skip it), `contains_all` with nothing to
 * look for is false, a condition that is not a boolean does not match, and an empty condition
 * is an error.
 *
 * What is not built here (resource requests' `requested_resources` and `has_labels`,
 * `regexp.*`, `email.local`, `ifelse`, `choose`, `dict`, semantic versions) is a
 * {@linkcode ConditionError} naming it, so the rule is reported and skipped, never guessed at.
 *
 * @module
 */

/** A condition that cannot be parsed, is ill-typed, uses something unsupported, or fails. */
export class ConditionError extends Error {
  /** Creates an error naming what in the condition is wrong. */
  constructor(message: string) {
    super(message);
    this.name = "ConditionError";
  }
}

/** The facts a condition may read. */
export interface ConditionEnv {
  readonly user: string;
  readonly roles: readonly string[];
  readonly suggestedReviewers: readonly string[];
  readonly systemAnnotations: Readonly<Record<string, readonly string[]>>;
  readonly requestReason: string;
  /** When the request was made; undefined reads as Go's zero time, as Teleport would. */
  readonly creationTime: Date | undefined;
  /** When the request resource expires (`metadata.expires`); undefined reads as the zero time. */
  readonly expiry: Date | undefined;
  /** The requester's traits; empty when they could not be read. */
  readonly userTraits: Readonly<Record<string, readonly string[]>>;
  readonly pluginName: string;
}

/** A parsed condition, reusable for every request. */
export interface Condition {
  /** Whether evaluating it reads `user.traits`, so the requester must be looked up. */
  readonly usesUserTraits: boolean;
  /**
   * Whether the condition holds. A condition whose value is not a boolean does not hold; a
   * failure while evaluating (a bad time literal) throws {@linkcode ConditionError}.
   */
  evaluate(env: ConditionEnv): boolean;
}

type Type = "string" | "bool" | "set" | "dict" | "time" | "any";
type Value =
  | string
  | boolean
  | ReadonlySet<string>
  | ReadonlyMap<string, ReadonlySet<string>>
  | Date;

type Node =
  | { readonly kind: "literal"; readonly value: string | boolean }
  | { readonly kind: "var"; readonly name: string }
  | { readonly kind: "index"; readonly target: Node; readonly key: Node }
  | { readonly kind: "call"; readonly fn: Fn; readonly name: string; readonly args: Node[] }
  | { readonly kind: "not"; readonly operand: Node }
  | { readonly kind: "and" | "or" | "==" | "!="; readonly left: Node; readonly right: Node };

interface Fn {
  /** Parameter types; `rest` repeats for the remaining arguments. */
  readonly params: readonly Type[];
  readonly rest?: Type;
  /** Exactly this many arguments besides `params` (Go's variadic `between` wants two). */
  readonly restCount?: number;
  readonly result: Type | ((args: readonly Type[]) => Type);
  readonly impl: (args: readonly Value[]) => Value;
}

// ---- values -------------------------------------------------------------------------------------

/** Go's zero `time.Time`, which Teleport reads for a request without the time. */
const ZERO_TIME = new Date(-62_135_596_800_000); // 0001-01-01T00:00:00Z

function setOf(values: readonly string[]): ReadonlySet<string> {
  return new Set(values);
}

function dictOf(
  record: Readonly<Record<string, readonly string[]>>,
): ReadonlyMap<string, ReadonlySet<string>> {
  return new Map(Object.entries(record).map(([key, values]) => [key, setOf(values)]));
}

function typeOfValue(value: Value): Exclude<Type, "any"> {
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "bool";
  if (value instanceof Date) return "time";
  if (value instanceof Map) return "dict";
  return "set";
}

function as<T extends Value>(value: Value, type: Exclude<Type, "any">, where: string): T {
  const actual = typeOfValue(value);
  if (actual !== type) throw new ConditionError(`${where} is a ${actual}, not a ${type}`);
  return value as T;
}

// ---- the language: variables, functions, methods ------------------------------------------------

/** The facts by name, with their types. */
const VARIABLES: Readonly<Record<string, { type: Type; read: (env: ConditionEnv) => Value }>> = {
  true: { type: "bool", read: () => true },
  false: { type: "bool", read: () => false },
  "access_request.spec.roles": { type: "set", read: (env) => setOf(env.roles) },
  "access_request.spec.suggested_reviewers": {
    type: "set",
    read: (env) => setOf(env.suggestedReviewers),
  },
  "access_request.spec.system_annotations": {
    type: "dict",
    read: (env) => dictOf(env.systemAnnotations),
  },
  "access_request.spec.user": { type: "string", read: (env) => env.user },
  "access_request.spec.request_reason": { type: "string", read: (env) => env.requestReason },
  "access_request.spec.creation_time": {
    type: "time",
    read: (env) => env.creationTime ?? ZERO_TIME,
  },
  "access_request.spec.expiry": { type: "time", read: (env) => env.expiry ?? ZERO_TIME },
  "user.traits": { type: "dict", read: (env) => dictOf(env.userTraits) },
  "plugin.spec.name": { type: "string", read: (env) => env.pluginName },
};

/** Functions of Teleport's language this service does not build; named when a rule uses them. */
const UNSUPPORTED_FUNCTIONS = [
  "has_labels",
  "regexp.match",
  "regexp.replace",
  "email.local",
  "ifelse",
  "choose",
  "option",
  "dict",
  "pair",
  "strings.replaceall",
  "strings.split",
  "newer_than",
  "older_than",
  "put",
  "add_values",
];

/** Facts Teleport has that this service does not read; named when a rule uses them. */
const UNSUPPORTED_VARIABLES = [
  "access_request.spec.requested_resources",
  "access_request.spec.requested_resources.length",
];

const containsAny: Fn = {
  params: ["set", "set"],
  result: "bool",
  impl: ([have, wanted]) =>
    [...(wanted as ReadonlySet<string>)].some((v) => (have as ReadonlySet<string>).has(v)),
};

// Like Teleport's: nothing to look for is no match.
const containsAll: Fn = {
  params: ["set", "set"],
  result: "bool",
  impl: ([have, wanted]) => {
    const w = wanted as ReadonlySet<string>;
    return w.size > 0 && [...w].every((v) => (have as ReadonlySet<string>).has(v));
  },
};

const isEmpty: Fn = {
  params: ["set"],
  result: "bool",
  impl: ([set]) => (set as ReadonlySet<string>).size === 0,
};

const before: Fn = {
  params: ["time", "time"],
  result: "bool",
  impl: ([t, other]) => (t as Date).getTime() < (other as Date).getTime(),
};

const after: Fn = {
  params: ["time", "time"],
  result: "bool",
  impl: ([t, other]) => (t as Date).getTime() > (other as Date).getTime(),
};

// Strictly between the two times, in either order.
const between: Fn = {
  params: ["time"],
  rest: "time",
  restCount: 2,
  result: "bool",
  impl: ([t, a, b]) => {
    const [low, high] = [(a as Date).getTime(), (b as Date).getTime()].sort((x, y) => x - y);
    const at = (t as Date).getTime();
    return at > low && at < high;
  },
};

function caseChange(change: (s: string) => string): Fn {
  return {
    params: ["any"],
    result: ([arg]) => (arg === "string" || arg === "set" ? arg : "any"),
    impl: ([input]) => {
      if (typeof input === "string") return change(input);
      return new Set([...as<ReadonlySet<string>>(input, "set", "the argument")].map(change));
    },
  };
}

const FUNCTIONS: Readonly<Record<string, Fn>> = {
  set: { params: [], rest: "string", result: "set", impl: (args) => setOf(args as string[]) },
  union: {
    params: [],
    rest: "set",
    result: "set",
    impl: (args) => new Set(args.flatMap((s) => [...(s as ReadonlySet<string>)])),
  },
  contains_any: containsAny,
  contains_all: containsAll,
  is_empty: isEmpty,
  "time.RFC3339": { params: ["string"], result: "time", impl: ([text]) => rfc3339(text as string) },
  before,
  after,
  between,
  "strings.upper": caseChange((s) => s.toUpperCase()),
  "strings.lower": caseChange((s) => s.toLowerCase()),
};

/** Methods take their receiver as the first argument (`roles.contains("dba")`). */
const METHODS: Readonly<Record<string, Fn>> = {
  contains: {
    params: ["set", "string"],
    result: "bool",
    impl: ([set, item]) => (set as ReadonlySet<string>).has(item as string),
  },
  add: {
    params: ["set"],
    rest: "string",
    result: "set",
    impl: ([set, ...items]) => new Set([...(set as ReadonlySet<string>), ...(items as string[])]),
  },
  remove: {
    params: ["any"],
    rest: "string",
    result: ([receiver]) => (receiver === "set" || receiver === "dict" ? receiver : "any"),
    impl: ([target, ...items]) => {
      if (target instanceof Map) {
        return new Map([...target].filter(([key]) => !(items as string[]).includes(key)));
      }
      const set = as<ReadonlySet<string>>(target, "set", "the receiver of remove");
      return new Set([...set].filter((v) => !(items as string[]).includes(v)));
    },
  },
  contains_any: containsAny,
  contains_all: containsAll,
  isempty: isEmpty,
  before,
  after,
  between,
};

/** Go's `time.Parse(time.RFC3339, text)`: fractional seconds allowed, an offset required. */
function rfc3339(text: string): Date {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/
    .exec(text);
  const bad = () =>
    new ConditionError(`time.RFC3339: ${JSON.stringify(text)} is not an RFC 3339 time`);
  if (!m) throw bad();
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const ms = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(utc);
  if (
    check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 ||
    check.getUTCDate() !== day || hour > 23 || minute > 59 || second > 59
  ) {
    throw bad();
  }
  const offset = m[8] === "Z" ? 0 : (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  if (m[8] !== "Z" && (Number(m[10]) > 23 || Number(m[11]) > 59)) throw bad();
  return new Date(utc - offset * 60_000);
}

// ---- parsing (Go expression syntax, as the predicate library reads it) ---------------------------

type Token =
  | { readonly kind: "str"; readonly text: string }
  | { readonly kind: "ident"; readonly text: string }
  | { readonly kind: "op"; readonly text: string };

const GO_ESCAPES: Readonly<Record<string, string>> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
  "'": "'",
};

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "`") {
      const end = source.indexOf("`", i + 1);
      if (end < 0) throw new ConditionError("unterminated string literal");
      tokens.push({ kind: "str", text: source.slice(i + 1, end) });
      i = end + 1;
    } else if (c === '"' || c === "'") {
      let text = "";
      i++;
      while (i < source.length && source[i] !== c) {
        if (source[i] === "\\") {
          const escaped = source[i + 1];
          const hex = /^(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))/.exec(
            source.slice(i + 1),
          );
          if (hex) {
            text += String.fromCodePoint(parseInt(hex[1] ?? hex[2] ?? hex[3], 16));
            i += 1 + hex[0].length;
          } else if (escaped !== undefined && escaped in GO_ESCAPES) {
            text += GO_ESCAPES[escaped];
            i += 2;
          } else {
            throw new ConditionError(`unknown escape sequence \\${escaped ?? ""} in a string`);
          }
        } else {
          text += source[i++];
        }
      }
      if (i >= source.length) throw new ConditionError("unterminated string literal");
      i++;
      tokens.push({ kind: "str", text });
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(source.slice(i))!;
      tokens.push({ kind: "ident", text: match[0] });
      i += match[0].length;
    } else {
      const two = source.slice(i, i + 2);
      if (["&&", "||", "==", "!="].includes(two)) {
        tokens.push({ kind: "op", text: two });
        i += 2;
      } else if ("!()[],.".includes(c)) {
        tokens.push({ kind: "op", text: c });
        i++;
      } else if (/[0-9]/.test(c)) {
        throw new ConditionError(`number literals are not supported (at ${i})`);
      } else {
        throw new ConditionError(`unexpected character ${JSON.stringify(c)} at ${i}`);
      }
    }
  }
  return tokens;
}

class Parser {
  #pos = 0;
  constructor(private readonly tokens: readonly Token[]) {}

  parse(): Node {
    const node = this.or();
    const rest = this.tokens[this.#pos];
    if (rest !== undefined) throw new ConditionError(`unexpected ${JSON.stringify(rest.text)}`);
    return node;
  }

  private peek(text: string): boolean {
    const t = this.tokens[this.#pos];
    return t !== undefined && t.kind === "op" && t.text === text;
  }

  private expect(text: string): void {
    if (!this.peek(text)) {
      const got = this.tokens[this.#pos]?.text ?? "end of condition";
      throw new ConditionError(`expected ${JSON.stringify(text)} but found ${JSON.stringify(got)}`);
    }
    this.#pos++;
  }

  private or(): Node {
    let left = this.and();
    while (this.peek("||")) {
      this.#pos++;
      left = { kind: "or", left, right: this.and() };
    }
    return left;
  }

  private and(): Node {
    let left = this.equality();
    while (this.peek("&&")) {
      this.#pos++;
      left = { kind: "and", left, right: this.equality() };
    }
    return left;
  }

  private equality(): Node {
    let left = this.unary();
    while (this.peek("==") || this.peek("!=")) {
      const op = this.tokens[this.#pos++].text as "==" | "!=";
      left = { kind: op, left, right: this.unary() };
    }
    return left;
  }

  private unary(): Node {
    if (this.peek("!")) {
      this.#pos++;
      return { kind: "not", operand: this.unary() };
    }
    return this.postfix(this.primary());
  }

  private postfix(node: Node): Node {
    for (;;) {
      if (this.peek("[")) {
        this.#pos++;
        const key = this.or();
        this.expect("]");
        node = { kind: "index", target: node, key };
      } else if (this.peek(".")) {
        this.#pos++;
        const name = this.tokens[this.#pos++];
        if (name?.kind !== "ident") throw new ConditionError('expected a name after "."');
        const [first, ...more] = name.text.split(".");
        node = this.peek("(") && more.length === 0
          ? this.method(first, node)
          : this.selectors(node, name.text.split("."));
      } else {
        return node;
      }
    }
  }

  private primary(): Node {
    const token = this.tokens[this.#pos++];
    if (!token) throw new ConditionError("condition ends too early");
    if (token.kind === "str") return { kind: "literal", value: token.text };
    if (token.kind === "op") {
      if (token.text !== "(") throw new ConditionError(`unexpected ${JSON.stringify(token.text)}`);
      const node = this.or();
      this.expect(")");
      return node;
    }
    if (this.peek("(")) {
      const fn = FUNCTIONS[token.text];
      if (fn) return { kind: "call", fn, name: token.text, args: this.args() };
      const dot = token.text.lastIndexOf(".");
      const method = token.text.slice(dot + 1);
      if (UNSUPPORTED_FUNCTIONS.includes(token.text)) {
        throw new ConditionError(`${token.text}() is not supported by this service`);
      }
      if (dot < 0 || METHODS[method] === undefined) {
        throw new ConditionError(`unsupported function ${token.text}()`);
      }
      return this.method(method, this.identifier(token.text.slice(0, dot)));
    }
    return this.identifier(token.text);
  }

  private method(name: string, receiver: Node): Node {
    const fn = METHODS[name];
    if (UNSUPPORTED_FUNCTIONS.includes(name)) {
      throw new ConditionError(`.${name}() is not supported by this service`);
    }
    if (!fn) throw new ConditionError(`unsupported method .${name}()`);
    return { kind: "call", fn, name, args: [receiver, ...this.args()] };
  }

  private args(): Node[] {
    this.expect("(");
    const args: Node[] = [];
    if (!this.peek(")")) {
      args.push(this.or());
      while (this.peek(",")) {
        this.#pos++;
        args.push(this.or());
      }
    }
    this.expect(")");
    return args;
  }

  /** A dotted name: the longest known variable, then one map key (`user.traits.team`). */
  private identifier(path: string): Node {
    const parts = path.split(".");
    for (let n = parts.length; n > 0; n--) {
      const name = parts.slice(0, n).join(".");
      if (UNSUPPORTED_VARIABLES.includes(name)) {
        throw new ConditionError(`${name} is not supported by this service`);
      }
      if (VARIABLES[name] !== undefined) {
        return this.selectors({ kind: "var", name }, parts.slice(n));
      }
    }
    throw new ConditionError(`unknown identifier ${JSON.stringify(path)}`);
  }

  private selectors(node: Node, keys: readonly string[]): Node {
    if (keys.length > 1) {
      throw new ConditionError(`unknown identifier ${JSON.stringify(keys.join("."))}`);
    }
    return keys.length === 0
      ? node
      : { kind: "index", target: node, key: { kind: "literal", value: keys[0] } };
  }
}

// ---- types, checked before evaluation as Teleport's parser does ----------------------------------

function accepts(expected: Type, actual: Type): boolean {
  return expected === "any" || actual === "any" || expected === actual;
}

function check(node: Node): Type {
  switch (node.kind) {
    case "literal":
      return typeof node.value === "string" ? "string" : "bool";
    case "var":
      return VARIABLES[node.name].type;
    case "index": {
      const target = check(node.target);
      if (!accepts("string", check(node.key))) {
        throw new ConditionError("a map key must be a string");
      }
      if (target === "dict") return "set";
      if (target === "any") return "any";
      throw new ConditionError(`cannot take an index of a ${target}`);
    }
    case "not":
      if (!accepts("bool", check(node.operand))) {
        throw new ConditionError("operator ! needs a true/false expression");
      }
      return "bool";
    case "and":
    case "or":
      for (const side of [node.left, node.right]) {
        if (!accepts("bool", check(side))) {
          throw new ConditionError(
            `operator ${node.kind === "and" ? "&&" : "||"} needs true/false expressions`,
          );
        }
      }
      return "bool";
    case "==":
    case "!=": {
      const left = check(node.left);
      const right = check(node.right);
      // As Teleport's: the left operand's type decides, or the right's when the left's is unknown.
      const operand = left === "any" ? right : left;
      if (operand === "any") {
        throw new ConditionError(`operator ${node.kind} needs an operand whose type is known`);
      }
      if (operand !== "string") {
        throw new ConditionError(`operator ${node.kind} is not supported for a ${operand}`);
      }
      if (!accepts("string", left) || !accepts("string", right)) {
        throw new ConditionError(`operator ${node.kind} compares strings only`);
      }
      return "bool";
    }
    case "call": {
      const { fn, name, args } = node;
      const types = args.map(check);
      const restCount = args.length - fn.params.length;
      const arity = fn.rest === undefined
        ? restCount === 0
        : fn.restCount === undefined
        ? restCount >= 0
        : restCount === fn.restCount;
      if (!arity) throw new ConditionError(`${name}() is given ${args.length} argument(s)`);
      types.forEach((type, i) => {
        const expected = i < fn.params.length ? fn.params[i] : fn.rest!;
        if (!accepts(expected, type)) {
          throw new ConditionError(
            `argument ${i + 1} of ${name}() is a ${type}, not a ${expected}`,
          );
        }
      });
      return typeof fn.result === "function" ? fn.result(types) : fn.result;
    }
  }
}

function usesTraits(node: Node): boolean {
  switch (node.kind) {
    case "literal":
      return false;
    case "var":
      return node.name === "user.traits";
    case "index":
      return usesTraits(node.target) || usesTraits(node.key);
    case "not":
      return usesTraits(node.operand);
    case "call":
      return node.args.some(usesTraits);
    default:
      return usesTraits(node.left) || usesTraits(node.right);
  }
}

// ---- evaluation ---------------------------------------------------------------------------------

function evaluate(node: Node, env: ConditionEnv): Value {
  switch (node.kind) {
    case "literal":
      return node.value;
    case "var":
      return VARIABLES[node.name].read(env);
    case "index": {
      const target = as<ReadonlyMap<string, ReadonlySet<string>>>(
        evaluate(node.target, env),
        "dict",
        "an indexed value",
      );
      return target.get(as<string>(evaluate(node.key, env), "string", "a map key")) ?? new Set();
    }
    case "not":
      return !as<boolean>(evaluate(node.operand, env), "bool", "the operand of !");
    case "and":
      return as<boolean>(evaluate(node.left, env), "bool", "the left of &&") &&
        as<boolean>(evaluate(node.right, env), "bool", "the right of &&");
    case "or":
      return as<boolean>(evaluate(node.left, env), "bool", "the left of ||") ||
        as<boolean>(evaluate(node.right, env), "bool", "the right of ||");
    case "==":
    case "!=": {
      const same = as<string>(evaluate(node.left, env), "string", `the left of ${node.kind}`) ===
        as<string>(evaluate(node.right, env), "string", `the right of ${node.kind}`);
      return node.kind === "==" ? same : !same;
    }
    case "call": {
      const { fn, name, args } = node;
      const values = args.map((arg, i) => {
        const value = evaluate(arg, env);
        const expected = i < fn.params.length ? fn.params[i] : fn.rest!;
        return expected === "any" ? value : as(value, expected, `argument ${i + 1} of ${name}()`);
      });
      return fn.impl(values);
    }
  }
}

const PARSED = new Map<string, Condition>();
/** Rules are few; the cache is emptied if it ever holds more conditions than this. */
const MAX_PARSED = 512;

/**
 * Parses and type-checks a rule's condition, as Teleport does when a rule is saved or used.
 * Throws {@linkcode ConditionError} for an empty, malformed, ill-typed or unsupported condition.
 */
export function parseCondition(source: string): Condition {
  const cached = PARSED.get(source);
  if (cached) return cached;
  if (source.trim() === "") throw new ConditionError("the condition is empty");
  const root = new Parser(tokenize(source)).parse();
  check(root);
  const condition: Condition = {
    usesUserTraits: usesTraits(root),
    evaluate: (env) => evaluate(root, env) === true,
  };
  if (PARSED.size >= MAX_PARSED) PARSED.clear();
  PARSED.set(source, condition);
  return condition;
}

/** Whether `condition` holds for `env`; see {@linkcode parseCondition} and {@linkcode Condition}. */
export function evaluateCondition(condition: string, env: ConditionEnv): boolean {
  return parseCondition(condition).evaluate(env);
}
