import type { LayerPass } from '../layer.js';
import { fail } from '../../util/errors.js';

/**
 * What the classical layers share: argument checks, so that every layer words
 * its errors the same way (the field, the allowed values, what was given), and
 * one optional extension of the `LayerPass` contract.
 */

/** Throws unless `value` is an integer >= `min` (default 1). */
export function checkInt(field: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min) {
    fail(field, `must be an integer >= ${min}, got ${String(value)}`);
  }
  return value;
}

/** `[6, 28, 28]` for messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** Checks a forward-pass input: a positive integer batch and `batch * size` entries. */
export function checkInput(kind: string, x: Float64Array, batch: number, size: number): void {
  checkInt(`${kind}.batch`, batch);
  if (x.length !== batch * size) {
    fail(`${kind}.x`, `must hold batch * ${size} = ${batch * size} numbers, got ${x.length}`);
  }
}

/** Checks a backward-pass gradient against the forward output and the parameter slice. */
export function checkBackward(
  kind: string,
  dy: Float64Array,
  yLength: number,
  dParams: Float64Array,
  paramCount: number,
): void {
  if (dy.length !== yLength) fail(`${kind}.dy`, `must hold ${yLength} numbers like y, got ${dy.length}`);
  if (dParams.length !== paramCount) {
    fail(`${kind}.dParams`, `must hold ${paramCount} numbers, got ${dParams.length}`);
  }
}

/** Checks that the parameter slice handed to forward or init has the layer's size. */
export function checkParams(kind: string, params: Float64Array, paramCount: number): void {
  if (params.length !== paramCount) {
    fail(`${kind}.params`, `must hold ${paramCount} numbers, got ${params.length}`);
  }
}

/**
 * An optional extension of `LayerPass`: a backward that can skip dL/dx.
 * `Sequential` passes `wantInputGrad = false` to its FIRST layer when nobody
 * asked for the input gradient (training), which spares the costliest product
 * of a first conv or dense layer; such a backward then returns
 * `NO_INPUT_GRAD`. A layer that ignores the flag (any plain `LayerPass`)
 * still works: its dx is computed and dropped.
 */
export interface InputGradOptionalPass extends LayerPass {
  backward(dy: Float64Array, dParams: Float64Array, wantInputGrad?: boolean): Float64Array;
}

/**
 * What a backward returns when asked not to compute dL/dx: empty, so that a
 * misuse fails loudly on its length instead of reading zeros.
 */
export const NO_INPUT_GRAD: Float64Array = new Float64Array(0);
