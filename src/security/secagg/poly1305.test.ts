import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { poly1305Tag } from './poly1305.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

test('poly1305Tag: RFC 8439 section 2.5.2 vector', () => {
  const key = hex('85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b');
  const msg = new TextEncoder().encode('Cryptographic Forum Research Group');
  assert.deepEqual(poly1305Tag(msg, key), hex('a8061dc1305136c6c22b8baf0c0127a9'));
});

test('poly1305Tag equals @noble/ciphers on random keys and messages of 0..100 bytes', () => {
  for (let len = 0; len <= 100; len++) {
    for (let rep = 0; rep < 5; rep++) {
      const key = randomBytes(32);
      const msg = new Uint8Array(randomBytes(len));
      assert.deepEqual(poly1305Tag(msg, key), poly1305(msg, key), `length ${len}`);
    }
  }
  // All-ones inputs exercise the final reduction mod 2^130 - 5.
  const ones = new Uint8Array(64).fill(0xff);
  assert.deepEqual(poly1305Tag(ones, new Uint8Array(32).fill(0xff)), poly1305(ones, new Uint8Array(32).fill(0xff)));
  assert.throws(() => poly1305Tag(ones, new Uint8Array(16)), /32 bytes/);
});
