/**
 * Evaluates the `condition` of an Access Monitoring Rule against an access request: the part
 * of Teleport's predicate language that routing rules use in practice — `&&`, `||`, `!`,
 * `==`, `!=`, parentheses, string literals, `set(...)`, `contains`, `contains_any`,
 * `contains_all`, `is_empty`, and the fields `access_request.spec.{user, roles,
 * suggested_reviewers, system_annotations[...], request_reason}`, `user.traits[...]` and
 * `plugin.spec.name`. Anything else is a {@linkcode ConditionError}, so a rule the service
 * cannot understand is reported and skipped rather than guessed at.
 *
 * @module
 */

/** A condition the evaluator cannot parse or does not support. */
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
  readonly userTraits?: Readonly<Record<string, readonly string[]>>;
  readonly pluginName: string;
}

type Value = string | boolean | readonly string[] | Readonly<Record<string, readonly string[]>>;

type Token =
  | { kind: "str"; text: string }
  | { kind: "ident"; text: string }
  | { kind: "op"; text: string };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === '"' || c === "'" || c === "`") {
      let text = "";
      i++;
      while (i < source.length && source[i] !== c) {
        if (source[i] === "\\" && c !== "`" && i + 1 < source.length) i++;
        text += source[i++];
      }
      if (i >= source.length) throw new ConditionError("unterminated string literal");
      i++;
      tokens.push({ kind: "str", text });
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(source.slice(i))!;
      tokens.push({ kind: "ident", text: match[0] });
      i += match[0].length;
    } else {
      const two = source.slice(i, i + 2);
      if (["&&", "||", "==", "!="].includes(two)) {
        tokens.push({ kind: "op", text: two });
        i += 2;
      } else if ("!()[],".includes(c)) {
        tokens.push({ kind: "op", text: c });
        i++;
      } else {
        throw new ConditionError(`unexpected character ${JSON.stringify(c)} at ${i}`);
      }
    }
  }
  return tokens;
}

/** Recursive-descent parser and evaluator in one pass over the tokens. */
class Evaluator {
  #pos = 0;
  constructor(private readonly tokens: Token[], private readonly env: ConditionEnv) {}

  run(): boolean {
    const value = this.or();
    if (this.#pos < this.tokens.length) {
      throw new ConditionError(`unexpected ${JSON.stringify(this.tokens[this.#pos].text)}`);
    }
    return asBool(value);
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

  private or(): Value {
    let left = this.and();
    while (this.peek("||")) {
      this.#pos++;
      const right = this.and();
      left = asBool(left) || asBool(right);
    }
    return left;
  }

  private and(): Value {
    let left = this.equality();
    while (this.peek("&&")) {
      this.#pos++;
      const right = this.equality();
      left = asBool(left) && asBool(right);
    }
    return left;
  }

  private equality(): Value {
    const left = this.unary();
    for (const op of ["==", "!="]) {
      if (this.peek(op)) {
        this.#pos++;
        const right = this.unary();
        const same = JSON.stringify(left) === JSON.stringify(right);
        return op === "==" ? same : !same;
      }
    }
    return left;
  }

  private unary(): Value {
    if (this.peek("!")) {
      this.#pos++;
      return !asBool(this.unary());
    }
    return this.postfix(this.primary());
  }

  private postfix(value: Value): Value {
    while (this.peek("[")) {
      this.#pos++;
      const key = this.or();
      this.expect("]");
      if (typeof value !== "object" || Array.isArray(value) || typeof key !== "string") {
        throw new ConditionError("only maps can be indexed, with a string key");
      }
      value = (value as Record<string, readonly string[]>)[key] ?? [];
    }
    return value;
  }

  private primary(): Value {
    const token = this.tokens[this.#pos++];
    if (!token) throw new ConditionError("condition ends too early");
    if (token.kind === "str") return token.text;
    if (token.kind === "op") {
      if (token.text !== "(") throw new ConditionError(`unexpected ${JSON.stringify(token.text)}`);
      const value = this.or();
      this.expect(")");
      return value;
    }
    if (this.peek("(")) return this.call(token.text);
    return this.field(token.text);
  }

  private call(name: string): Value {
    this.expect("(");
    const args: Value[] = [];
    if (!this.peek(")")) {
      args.push(this.or());
      while (this.peek(",")) {
        this.#pos++;
        args.push(this.or());
      }
    }
    this.expect(")");
    switch (name) {
      case "set":
        return args.map((a) => {
          if (typeof a !== "string") throw new ConditionError("set() takes strings");
          return a;
        });
      case "is_empty":
        return arity(name, args, 1) && asList(args[0]).length === 0;
      case "contains":
        return arity(name, args, 2) && asList(args[0]).includes(asString(args[1]));
      case "contains_any": {
        arity(name, args, 2);
        const have = asList(args[0]);
        return asList(args[1]).some((v) => have.includes(v));
      }
      case "contains_all": {
        arity(name, args, 2);
        const have = asList(args[0]);
        return asList(args[1]).every((v) => have.includes(v));
      }
      default:
        throw new ConditionError(`unsupported function ${name}()`);
    }
  }

  private field(path: string): Value {
    switch (path) {
      case "true":
        return true;
      case "false":
        return false;
      case "access_request.spec.user":
        return this.env.user;
      case "access_request.spec.roles":
        return this.env.roles;
      case "access_request.spec.suggested_reviewers":
        return this.env.suggestedReviewers;
      case "access_request.spec.system_annotations":
        return this.env.systemAnnotations;
      case "access_request.spec.request_reason":
        return this.env.requestReason;
      case "user.traits":
        return this.env.userTraits ?? {};
      case "plugin.spec.name":
        return this.env.pluginName;
      default:
        throw new ConditionError(`unsupported field ${path}`);
    }
  }
}

function arity(name: string, args: Value[], n: number): true {
  if (args.length !== n) throw new ConditionError(`${name}() takes ${n} argument(s)`);
  return true;
}

function asBool(value: Value): boolean {
  if (typeof value !== "boolean") throw new ConditionError("expected a true/false expression");
  return value;
}

function asString(value: Value): string {
  if (typeof value !== "string") throw new ConditionError("expected a string");
  return value;
}

function asList(value: Value): readonly string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value as readonly string[];
  throw new ConditionError("expected a list of strings");
}

/**
 * Whether `condition` holds for the request in `env`. An empty condition holds. Throws
 * {@linkcode ConditionError} when the condition is malformed or uses something unsupported.
 */
export function evaluateCondition(condition: string, env: ConditionEnv): boolean {
  if (condition.trim() === "") return true;
  return new Evaluator(tokenize(condition), env).run();
}
