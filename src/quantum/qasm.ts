/** OpenQASM 2.0 import and export (see qasm-import.ts and qasm-export.ts). */
export * from './qasm-import.js';
export * from './qasm-export.js';
