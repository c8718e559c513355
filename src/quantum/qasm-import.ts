import { fail } from '../util/errors.js';
import { type Circuit, constant, type Operation, validateCircuit } from './circuit.js';
import { GATE_NAMES, GATES, type GateName } from './gates.js';

/**
 * OpenQASM 2.0 import and export, by hand: a tokenizer, a recursive-descent
 * parser that applies each statement as it reads it, and a writer that lowers
 * our gates to qelib1.inc.
 *
 * Import reads `qreg`s as consecutive wires in declaration order, the
 * qelib1.inc gates that map onto the gate table, parameter expressions
 * (`pi`, `+ - * / ^`, `sin cos tan exp ln sqrt`), register broadcasting
 * (`h q;`, `cx q, r;`) and user `gate` definitions (expanded inline).
 * `measure` is recorded and `barrier` skipped; `reset`, `if`, `opaque`,
 * unknown gates and OpenQASM 3 are rejected with a QflError whose field is
 * `line N` (1-based).
 *
 * ```ts
 * const { circuit } = parseQasm('OPENQASM 2.0; include "qelib1.inc"; qreg q[2]; h q[0]; cx q[0], q[1];');
 * const text = toQasm(circuit); // the same program, normalized
 * ```
 */

export interface QasmRegister {
  readonly name: string;
  readonly size: number;
  /** First wire (qreg) or first classical bit (creg) of the register. */
  readonly offset: number;
}

/** One `measure` statement applied to one qubit: `measure q[wire] -> creg[bit]`. */
export interface QasmMeasurement {
  readonly wire: number;
  readonly creg: string;
  readonly bit: number;
}

export interface QasmProgram {
  /** The unitary part: all parameters constant, state prep |0...0>. */
  readonly circuit: Circuit;
  readonly qregs: readonly QasmRegister[];
  readonly cregs: readonly QasmRegister[];
  readonly measurements: readonly QasmMeasurement[];
}

// ---------------------------------------------------------------- tokens

type Token = { readonly kind: 'id' | 'num' | 'str' | 'sym' | 'eof'; readonly text: string; readonly line: number };

function lineFail(line: number, detail: string): never {
  return fail(`line ${line}`, detail);
}
const describe = (t: Token): string => (t.kind === 'eof' ? 'end of file' : `'${t.text}'`);

const ID = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUM = /(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let i = 0;
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === '\n') {
      line++;
      i++;
    } else if (/\s/.test(ch)) {
      i++;
    } else if (src.startsWith('//', i)) {
      while (i < src.length && src[i] !== '\n') i++;
    } else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) lineFail(line, "unterminated comment: '/*' has no closing '*/'");
      for (let k = i; k < end; k++) if (src[k] === '\n') line++;
      i = end + 2;
    } else if (ch === '"') {
      const end = src.indexOf('"', i + 1);
      const nl = src.indexOf('\n', i + 1);
      if (end < 0 || (nl >= 0 && nl < end)) lineFail(line, 'unterminated string: a closing \'"\' is missing');
      out.push({ kind: 'str', text: src.slice(i + 1, end), line });
      i = end + 1;
    } else if (/[A-Za-z_]/.test(ch) || /[\d.]/.test(ch)) {
      const re = /[A-Za-z_]/.test(ch) ? ID : NUM;
      re.lastIndex = i;
      const m = re.exec(src);
      if (!m) lineFail(line, `unexpected character '${ch}'`);
      out.push({ kind: re === ID ? 'id' : 'num', text: m[0], line });
      i += m[0].length;
    } else if (src.startsWith('->', i) || src.startsWith('==', i)) {
      out.push({ kind: 'sym', text: src.slice(i, i + 2), line });
      i += 2;
    } else if (';,()[]{}+-*/^'.includes(ch)) {
      out.push({ kind: 'sym', text: ch, line });
      i++;
    } else {
      lineFail(line, `unexpected character '${ch}'`);
    }
  }
  out.push({ kind: 'eof', text: '', line });
  return out;
}

// ---------------------------------------------------------------- expressions

const FUNCTIONS = { sin: Math.sin, cos: Math.cos, tan: Math.tan, exp: Math.exp, ln: Math.log, sqrt: Math.sqrt } as const;
type FunctionName = keyof typeof FUNCTIONS;
const isFunction = (name: string): name is FunctionName => Object.prototype.hasOwnProperty.call(FUNCTIONS, name);

type Expr =
  | { readonly k: 'num'; readonly v: number }
  | { readonly k: 'var'; readonly name: string }
  | { readonly k: 'neg'; readonly a: Expr }
  | { readonly k: 'bin'; readonly op: '+' | '-' | '*' | '/' | '^'; readonly a: Expr; readonly b: Expr }
  | { readonly k: 'call'; readonly fn: FunctionName; readonly a: Expr };

function evaluate(e: Expr, env: ReadonlyMap<string, number>): number {
  switch (e.k) {
    case 'num':
      return e.v;
    case 'var':
      return env.get(e.name)!;
    case 'neg':
      return -evaluate(e.a, env);
    case 'call':
      return FUNCTIONS[e.fn](evaluate(e.a, env));
    case 'bin': {
      const a = evaluate(e.a, env);
      const b = evaluate(e.b, env);
      switch (e.op) {
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          return a / b;
        case '^':
          return a ** b;
      }
    }
  }
}

// ---------------------------------------------------------------- gates known to the importer

interface Builtin {
  readonly nParams: number;
  readonly nQubits: number;
  readonly emit: (p: readonly number[], w: readonly number[]) => Operation[];
}

function mk(gate: GateName, wires: readonly number[], params: readonly number[] = [], controls: readonly number[] = []): Operation {
  const ps = params.map(constant);
  return controls.length > 0 ? { gate, wires: [...wires], params: ps, controls: [...controls] } : { gate, wires: [...wires], params: ps };
}

/** qelib1.inc names (and the builtins U, CX) onto the gate table. */
const BUILTINS: ReadonlyMap<string, Builtin> = (() => {
  const m = new Map<string, Builtin>();
  for (const g of GATE_NAMES) {
    const d = GATES[g];
    if (d.qasm !== undefined) m.set(d.qasm, { nParams: d.nParams, nQubits: d.nWires, emit: (p, w) => [mk(g, w, p)] });
  }
  const alias = (name: string, of: string) => m.set(name, m.get(of)!);
  alias('U', 'u3'); // U = RZ(phi) RY(theta) RZ(lambda), u3 up to a global phase
  alias('u', 'u3');
  alias('CX', 'cx');
  alias('p', 'u1');
  alias('cp', 'cu1');
  m.set('u2', { nParams: 2, nQubits: 1, emit: (p, w) => [mk('U3', w, [Math.PI / 2, p[0]!, p[1]!])] });
  m.set('u0', { nParams: 1, nQubits: 1, emit: (_p, w) => [mk('I', w)] });
  // cu(theta, phi, lambda, gamma) = p(gamma) on the control, then cu3.
  m.set('cu', { nParams: 4, nQubits: 2, emit: (p, w) => [mk('PhaseShift', [w[0]!], [p[3]!]), mk('CU3', w, p.slice(0, 3))] });
  m.set('csx', { nParams: 0, nQubits: 2, emit: (_p, w) => [mk('SX', [w[1]!], [], [w[0]!])] });
  m.set('c3x', { nParams: 0, nQubits: 4, emit: (_p, w) => [mk('X', [w[3]!], [], w.slice(0, 3))] });
  m.set('c4x', { nParams: 0, nQubits: 5, emit: (_p, w) => [mk('X', [w[4]!], [], w.slice(0, 4))] });
  return m;
})();

/** qelib1.inc gates with no exact counterpart here (relative-phase Toffolis and the like). */
const UNSUPPORTED_QELIB = new Set(['rccx', 'rc3x', 'rcccx', 'c3sqrtx', 'cccsqrtx', 'cccx', 'ccccx']);
const QASM3_WORDS = new Set([
  'qubit', 'bit', 'def', 'let', 'for', 'while', 'input', 'output', 'ctrl', 'inv', 'pow', 'gphase', 'defcal', 'cal',
  'box', 'const', 'int', 'uint', 'float', 'angle', 'bool', 'delay', 'duration', 'stretch', 'array', 'complex', 'return',
]);
const MAX_QUBITS = 30;

/**
 * What a program may ask for, checked while it is read, before anything is
 * allocated: a 30-qubit register is a 16 GiB state, 29 nested gates calling
 * each other 4 times are 4^29 operations, 100k nested parentheses overflow
 * the stack. `qfl simulate --max-qubits / --max-ops` raise the first two.
 */
export interface QasmLimits {
  /** Qubits in all registers (default 24: a 256 MiB statevector; at most 30). */
  readonly maxQubits: number;
  /** Operations after expanding gate definitions (default 1e6). */
  readonly maxOps: number;
}
export const DEFAULT_QASM_LIMITS: QasmLimits = { maxQubits: 24, maxOps: 1_000_000 };
/** Nesting of parentheses, signs and powers in one parameter expression. */
export const MAX_EXPR_DEPTH = 64;
/** Operators and calls in one parameter expression. */
export const MAX_EXPR_TERMS = 1000;
const stateSize = (q: number) => {
  const b = 16 * 2 ** q;
  return b >= 2 ** 30 ? `${b / 2 ** 30} GiB` : `${b / 2 ** 20} MiB`;
};

/** A user `gate` definition; its body calls are checked when the definition is read. */
interface UserGate {
  /** Operations one application expands to (at least: a built-in counts as one). */
  readonly opCount: number;
  readonly params: readonly string[];
  readonly qubits: readonly string[];
  readonly body: readonly { readonly name: string; readonly params: readonly Expr[]; readonly args: readonly number[] }[];
}

/** A gate argument: one qubit, or a whole register (broadcast). */
type Arg = { readonly kind: 'bit'; readonly wire: number } | { readonly kind: 'reg'; readonly reg: QasmRegister };

// ---------------------------------------------------------------- import

class Reader {
  private i = 0;
  private readonly qregs: QasmRegister[] = [];
  private readonly cregs: QasmRegister[] = [];
  private readonly gates = new Map<string, UserGate>();
  private readonly ops: Operation[] = [];
  private readonly measurements: QasmMeasurement[] = [];
  private qelib = false;
  private nQubits = 0;
  private nClbits = 0;
  private exprDepth = 0;
  private exprTerms = 0;

  constructor(
    private readonly toks: readonly Token[],
    private readonly limits: QasmLimits,
  ) {}

  private peek(): Token {
    return this.toks[this.i]!;
  }
  private next(): Token {
    const t = this.toks[this.i]!;
    if (t.kind !== 'eof') this.i++;
    return t;
  }
  private isSym(s: string): boolean {
    const t = this.peek();
    return t.kind === 'sym' && t.text === s;
  }
  private accept(s: string): boolean {
    if (!this.isSym(s)) return false;
    this.i++;
    return true;
  }
  private expect(s: string, where: string): Token {
    const t = this.next();
    if (t.kind !== 'sym' || t.text !== s) lineFail(t.line, `expected '${s}' ${where}, found ${describe(t)}`);
    return t;
  }
  private ident(what: string, where: string): Token {
    const t = this.next();
    if (t.kind !== 'id') lineFail(t.line, `expected ${what} ${where}, found ${describe(t)}`);
    return t;
  }
  private integer(what: string, where: string): number {
    const t = this.next();
    if (t.kind !== 'num' || !/^\d+$/.test(t.text)) lineFail(t.line, `expected ${what} (an integer) ${where}, found ${describe(t)}`);
    return Number(t.text);
  }

  read(): QasmProgram {
    const first = this.peek();
    if (first.kind === 'id' && first.text === 'OPENQASM') this.version();
    while (this.peek().kind !== 'eof') this.statement();
    if (this.nQubits === 0) fail('qreg', 'the program declares no qubits; add a register such as `qreg q[2];`');
    const circuit: Circuit = { nQubits: this.nQubits, prep: { kind: 'zero' }, ops: this.ops, nWeights: 0, nInputs: 0 };
    validateCircuit(circuit);
    return { circuit, qregs: this.qregs, cregs: this.cregs, measurements: this.measurements };
  }

  private version(): void {
    const kw = this.next();
    const v = this.next();
    if (v.kind !== 'num') lineFail(v.line, `expected a version number after 'OPENQASM', found ${describe(v)}`);
    if (Math.floor(Number(v.text)) !== 2) {
      lineFail(kw.line, `OPENQASM ${v.text} is not supported; only OPENQASM 2.0 programs can be imported`);
    }
    this.expect(';', "after 'OPENQASM 2.0'");
  }

  private statement(): void {
    const t = this.next();
    if (t.kind !== 'id') lineFail(t.line, `expected a statement, found ${describe(t)}`);
    switch (t.text) {
      case 'OPENQASM':
        return lineFail(t.line, "'OPENQASM' must be the first statement of the program");
      case 'include':
        return this.include(t);
      case 'qreg':
      case 'creg':
        return this.register(t);
      case 'gate':
        return this.gateDefinition();
      case 'measure':
        return this.measure(t);
      case 'barrier':
        this.args('barrier');
        this.expect(';', "after 'barrier'");
        return;
      case 'reset':
      case 'if':
      case 'opaque':
        return lineFail(t.line, `'${t.text}' is not supported: the importer builds a unitary circuit (no reset, if or opaque)`);
      default:
        if (QASM3_WORDS.has(t.text)) {
          lineFail(t.line, `'${t.text}' is OpenQASM 3; only OPENQASM 2.0 programs can be imported`);
        }
        return this.call(t);
    }
  }

  private include(t: Token): void {
    const f = this.next();
    if (f.kind !== 'str') lineFail(f.line, `expected a file name in quotes after 'include', found ${describe(f)}`);
    if (f.text !== 'qelib1.inc') lineFail(t.line, `include "${f.text}": only "qelib1.inc" can be included`);
    this.expect(';', `after 'include "${f.text}"'`);
    this.qelib = true;
  }

  private register(t: Token): void {
    const kind = t.text;
    const name = this.ident('a register name', `after '${kind}'`);
    this.expect('[', `after '${kind} ${name.text}'`);
    const size = this.integer('a size', `in '${kind} ${name.text}'`);
    this.expect(']', `after '${kind} ${name.text}[${size}'`);
    this.expect(';', `after '${kind} ${name.text}[${size}]'`);
    if (this.findReg(name.text)) lineFail(t.line, `${kind} ${name.text}: a register named '${name.text}' is already declared`);
    if (size < 1) lineFail(t.line, `${kind} ${name.text}: the size must be at least 1, got ${size}`);
    if (kind === 'qreg') {
      const total = this.nQubits + size;
      if (total > Math.min(MAX_QUBITS, this.limits.maxQubits)) {
        const raise = this.limits.maxQubits < MAX_QUBITS ? `; raise it with --max-qubits (at most ${MAX_QUBITS})` : '';
        lineFail(
          t.line,
          `qreg ${name.text}[${size}] brings the qubit count to ${total > 1000 ? total.toExponential(2) : total}${total <= 1000 ? `: the state needs ${stateSize(total)} (16 bytes x 2^${total})` : ''}; the limit is ${Math.min(MAX_QUBITS, this.limits.maxQubits)} qubits (${stateSize(Math.min(MAX_QUBITS, this.limits.maxQubits))})${raise}`,
        );
      }
      this.qregs.push({ name: name.text, size, offset: this.nQubits });
      this.nQubits += size;
    } else {
      this.cregs.push({ name: name.text, size, offset: this.nClbits });
      this.nClbits += size;
    }
  }

  private findReg(name: string): { reg: QasmRegister; quantum: boolean } | undefined {
    const q = this.qregs.find((r) => r.name === name);
    if (q) return { reg: q, quantum: true };
    const c = this.cregs.find((r) => r.name === name);
    return c ? { reg: c, quantum: false } : undefined;
  }

  /** `name` or `name[i]`, naming a register of the wanted kind. */
  private arg(stmt: string, quantum: boolean): Arg {
    const t = this.ident(quantum ? 'a qubit' : 'a classical bit', `in '${stmt}'`);
    const found = this.findReg(t.text);
    const kind = quantum ? 'qreg' : 'creg';
    if (!found || found.quantum !== quantum) {
      lineFail(t.line, `${stmt}: '${t.text}' is not a declared ${kind}${found ? ` (it is a ${found.quantum ? 'qreg' : 'creg'})` : ''}`);
    }
    const reg = found.reg;
    if (!this.accept('[')) return { kind: 'reg', reg };
    const index = this.integer('an index', `in '${stmt}'`);
    this.expect(']', `after '${t.text}[${index}' in '${stmt}'`);
    if (index >= reg.size) {
      lineFail(t.line, `${stmt}: ${t.text}[${index}] is out of range; ${kind} ${t.text} has ${reg.size} (indices 0..${reg.size - 1})`);
    }
    return { kind: 'bit', wire: reg.offset + index };
  }

  private args(stmt: string): Arg[] {
    const out = [this.arg(stmt, true)];
    while (this.accept(',')) out.push(this.arg(stmt, true));
    return out;
  }

  private wireName(wire: number): string {
    const r = this.qregs.find((q) => wire >= q.offset && wire < q.offset + q.size)!;
    return `${r.name}[${wire - r.offset}]`;
  }

  /** Expands register arguments: `cx q, r;` is `cx q[i], r[i];` for every i. */
  private broadcast(stmt: string, line: number, args: readonly Arg[]): number[][] {
    const sizes = [...new Set(args.flatMap((a) => (a.kind === 'reg' ? [a.reg.size] : [])))];
    if (sizes.length > 1) {
      lineFail(line, `${stmt}: registers of different sizes (${sizes.join(' and ')}) cannot be broadcast together`);
    }
    const count = sizes[0] ?? 1;
    const out: number[][] = [];
    for (let k = 0; k < count; k++) {
      const wires = args.map((a) => (a.kind === 'bit' ? a.wire : a.reg.offset + k));
      const dup = wires.find((w, j) => wires.indexOf(w) !== j);
      if (dup !== undefined) lineFail(line, `${stmt}: qubit ${this.wireName(dup)} is used more than once`);
      out.push(wires);
    }
    return out;
  }

  private measure(t: Token): void {
    const q = this.arg('measure', true);
    this.expect('->', "in 'measure'");
    const c = this.arg('measure', false);
    this.expect(';', "after 'measure'");
    const qs = q.kind === 'reg' ? q.reg.size : 1;
    const cs = c.kind === 'reg' ? c.reg.size : 1;
    if (q.kind !== c.kind || qs !== cs) {
      lineFail(t.line, `measure: cannot measure ${qs} qubit(s) into ${cs} bit(s); use 'measure q -> c;' with registers of equal size or single bits`);
    }
    const creg = this.cregs.find((r) => (c.kind === 'reg' ? r === c.reg : c.wire >= r.offset && c.wire < r.offset + r.size))!;
    for (let k = 0; k < qs; k++) {
      const wire = q.kind === 'reg' ? q.reg.offset + k : q.wire;
      const bit = c.kind === 'reg' ? k : c.wire - creg.offset;
      this.measurements.push({ wire, creg: creg.name, bit });
    }
  }

  // -- parameters and calls

  private paramList(stmt: string, vars: ReadonlySet<string>): Expr[] {
    const out: Expr[] = [];
    if (!this.accept('(')) return out;
    if (this.accept(')')) return out;
    do {
      this.exprTerms = 0;
      out.push(this.expr(stmt, vars));
    } while (this.accept(','));
    this.expect(')', `to close the parameters of '${stmt}'`);
    return out;
  }

  /** Counts an operator of the expression being read against MAX_EXPR_TERMS. */
  private term1(stmt: string): void {
    if (++this.exprTerms > MAX_EXPR_TERMS) lineFail(this.peek().line, `${stmt}: a parameter expression has more than ${MAX_EXPR_TERMS} operators; the limit is ${MAX_EXPR_TERMS}`);
  }

  private expr(stmt: string, vars: ReadonlySet<string>): Expr {
    let a = this.term(stmt, vars);
    while (this.isSym('+') || this.isSym('-')) {
      const op = this.next().text as '+' | '-';
      this.term1(stmt);
      a = { k: 'bin', op, a, b: this.term(stmt, vars) };
    }
    return a;
  }

  private term(stmt: string, vars: ReadonlySet<string>): Expr {
    let a = this.unary(stmt, vars);
    while (this.isSym('*') || this.isSym('/')) {
      const op = this.next().text as '*' | '/';
      this.term1(stmt);
      a = { k: 'bin', op, a, b: this.unary(stmt, vars) };
    }
    return a;
  }

  private unary(stmt: string, vars: ReadonlySet<string>): Expr {
    // Every nesting (parentheses, signs, powers, calls) passes through here: bound it before the stack is.
    if (++this.exprDepth > MAX_EXPR_DEPTH) lineFail(this.peek().line, `${stmt}: a parameter expression nests deeper than ${MAX_EXPR_DEPTH} levels; the limit is ${MAX_EXPR_DEPTH}`);
    try {
      if (this.accept('-')) {
        this.term1(stmt);
        return { k: 'neg', a: this.unary(stmt, vars) };
      }
      if (this.accept('+')) return this.unary(stmt, vars);
      const base = this.atom(stmt, vars);
      if (!this.accept('^')) return base;
      this.term1(stmt);
      return { k: 'bin', op: '^', a: base, b: this.unary(stmt, vars) };
    } finally {
      this.exprDepth--;
    }
  }

  private atom(stmt: string, vars: ReadonlySet<string>): Expr {
    const t = this.next();
    if (t.kind === 'num') return { k: 'num', v: Number(t.text) };
    if (t.kind === 'sym' && t.text === '(') {
      const e = this.expr(stmt, vars);
      this.expect(')', `in the parameters of '${stmt}'`);
      return e;
    }
    if (t.kind === 'id') {
      if (t.text === 'pi') return { k: 'num', v: Math.PI };
      if (isFunction(t.text)) {
        this.expect('(', `after '${t.text}' in '${stmt}'`);
        const a = this.expr(stmt, vars);
        this.expect(')', `after the argument of '${t.text}' in '${stmt}'`);
        return { k: 'call', fn: t.text, a };
      }
      if (vars.has(t.text)) return { k: 'var', name: t.text };
      lineFail(t.line, `${stmt}: unknown identifier '${t.text}' in a parameter; use numbers, pi, + - * / ^ and sin cos tan exp ln sqrt`);
    }
    return lineFail(t.line, `${stmt}: expected a parameter expression, found ${describe(t)}`);
  }

  /** Arity of a gate name as seen from `line`, or a clear error. */
  private arity(name: string, line: number): { nParams: number; nQubits: number } {
    const user = this.gates.get(name);
    if (user) return { nParams: user.params.length, nQubits: user.qubits.length };
    const b = BUILTINS.get(name);
    if (b) return b;
    if (UNSUPPORTED_QELIB.has(name)) {
      lineFail(line, `gate '${name}' of qelib1.inc is not supported (no exact counterpart in the gate table); define it with a 'gate' block`);
    }
    return lineFail(line, `unknown gate '${name}'`);
  }

  private checkArity(name: string, line: number, nParams: number, nQubits: number): void {
    const a = this.arity(name, line);
    if (a.nParams !== nParams) lineFail(line, `${name} takes ${a.nParams} parameter(s), got ${nParams}`);
    if (a.nQubits !== nQubits) lineFail(line, `${name} acts on ${a.nQubits} qubit(s), got ${nQubits}`);
  }

  private call(t: Token): void {
    const name = t.text;
    this.arity(name, t.line);
    const params = this.paramList(name, new Set());
    const args = this.args(name);
    this.expect(';', `after '${name}'`);
    this.checkArity(name, t.line, params.length, args.length);
    const values = params.map((e) => evaluate(e, new Map()));
    const all = this.broadcast(name, t.line, args);
    const adds = (this.gates.get(name)?.opCount ?? 1) * all.length;
    if (this.ops.length + adds > this.limits.maxOps) {
      lineFail(t.line, `${name} expands to ${adds > 1e6 ? adds.toExponential(2) : adds} operations, ${(this.ops.length + adds).toExponential(2)} in all; the limit is ${this.limits.maxOps} (raise it with --max-ops)`);
    }
    for (const wires of all) this.apply(name, values, wires, t.line);
  }

  /** Appends the operations of one gate application (user gates expand recursively). */
  private apply(name: string, values: readonly number[], wires: readonly number[], line: number): void {
    values.forEach((v, k) => {
      if (!Number.isFinite(v)) lineFail(line, `${name}: parameter ${k + 1} evaluates to ${v}, not a finite number`);
    });
    const user = this.gates.get(name);
    if (user) {
      const env = new Map(user.params.map((p, k) => [p, values[k]!]));
      for (const c of user.body) {
        this.apply(c.name, c.params.map((e) => evaluate(e, env)), c.args.map((k) => wires[k]!), line);
      }
      return;
    }
    const emitted = BUILTINS.get(name)!.emit(values, wires);
    if (this.ops.length + emitted.length > this.limits.maxOps) lineFail(line, `the program expands to more than ${this.limits.maxOps} operations; the limit is ${this.limits.maxOps} (raise it with --max-ops)`);
    for (const op of emitted) this.ops.push(op);
  }

  private gateDefinition(): void {
    const name = this.ident('a gate name', "after 'gate'");
    const stmt = `gate ${name.text}`;
    if (name.text === 'U' || name.text === 'CX' || this.gates.has(name.text) || (this.qelib && BUILTINS.has(name.text))) {
      lineFail(name.line, `${stmt}: '${name.text}' is already defined${this.gates.has(name.text) ? '' : ' (built in or by qelib1.inc)'}`);
    }
    const names = (what: string, close: string | undefined): string[] => {
      const out: string[] = [];
      if (close !== undefined && this.accept(close)) return out;
      do {
        const id = this.ident(what, `in '${stmt}'`);
        if (out.includes(id.text)) lineFail(id.line, `${stmt}: '${id.text}' is declared twice`);
        out.push(id.text);
      } while (this.accept(','));
      if (close !== undefined) this.expect(close, `after the parameters of '${stmt}'`);
      return out;
    };
    const params = this.accept('(') ? names('a parameter name', ')') : [];
    const qubits = names('a qubit argument', undefined);
    const vars = new Set(params);
    this.expect('{', `to open the body of '${stmt}'`);
    const body: { name: string; params: Expr[]; args: number[] }[] = [];
    while (!this.accept('}')) {
      const c = this.next();
      if (c.kind !== 'id') lineFail(c.line, `${stmt}: expected a gate call or '}' in the body, found ${describe(c)}`);
      const isBarrier = c.text === 'barrier';
      if (!isBarrier && ['gate', 'qreg', 'creg', 'measure', 'reset', 'if', 'opaque', 'include', 'OPENQASM'].includes(c.text)) {
        lineFail(c.line, `${stmt}: '${c.text}' is not allowed inside a gate body`);
      }
      if (!isBarrier) this.arity(c.text, c.line);
      const ps = isBarrier ? [] : this.paramList(c.text, vars);
      const args: number[] = [];
      do {
        const a = this.ident('a qubit argument', `in '${c.text}' inside '${stmt}'`);
        const k = qubits.indexOf(a.text);
        if (k < 0) lineFail(a.line, `${stmt}: '${a.text}' is not a qubit argument of the gate (${qubits.join(', ')})`);
        if (this.isSym('[')) lineFail(a.line, `${stmt}: qubit arguments are used without indices inside a gate body`);
        if (!isBarrier && args.includes(k)) lineFail(a.line, `${stmt}: qubit '${a.text}' is used more than once in '${c.text}'`);
        args.push(k);
      } while (this.accept(','));
      this.expect(';', `after '${c.text}' inside '${stmt}'`);
      if (isBarrier) continue;
      this.checkArity(c.text, c.line, ps.length, args.length);
      body.push({ name: c.text, params: ps, args });
    }
    const opCount = body.reduce((n, c) => n + (this.gates.get(c.name)?.opCount ?? 1), 0);
    this.gates.set(name.text, { opCount, params, qubits, body });
  }
}

/** Parses an OpenQASM 2.0 program; errors are QflErrors with field `line N`. */
export function parseQasm(source: string, limits: Partial<QasmLimits> = {}): QasmProgram {
  return new Reader(tokenize(source), { ...DEFAULT_QASM_LIMITS, ...limits }).read();
}

/** The circuit of an OpenQASM 2.0 program (see `parseQasm`). */
export function fromQasm(source: string): Circuit {
  return parseQasm(source).circuit;
}
