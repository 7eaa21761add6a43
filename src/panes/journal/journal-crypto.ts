import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * The encrypted forms of a pane's journal (issue 15, seed §7.1): a snapshot of the pane sealed under the pane's
 * own key, and that key wrapped under the user's master key. AES-256-GCM from Node's crypto (OpenSSL).
 *
 * Snapshot file:
 *   "CCMUXJ1\n" (8 bytes) · first counter (u64 BE) · blocks
 *   block: ciphertext length (u32 BE) · ciphertext · 16-byte tag
 * Block i's nonce is 4 zero bytes and the u64 counter `first + i`; its associated data binds the format, the pane
 * id, the first counter, the block's index and whether it is the last block. So a changed byte, two blocks
 * swapped, a block from another snapshot or pane, and a file cut short (no last block) all fail to open, and
 * JournalDamage says which (as far as it can be told).
 *
 * Nonces never repeat under one key as long as every snapshot's first counter is past the previous snapshot's
 * last (JournalCounter keeps that for a writer).
 *
 * Wrapped key file: "CCMUXK1\n" · 12-byte random nonce · 32-byte ciphertext · 16-byte tag, the pane id bound in
 * as associated data (a key file copied to another pane's name does not open).
 */

export const KEY_BYTES = 32;
const TAG_BYTES = 16;
const SNAPSHOT_MAGIC = Buffer.from("CCMUXJ1\n", "latin1");
const KEY_MAGIC = Buffer.from("CCMUXK1\n", "latin1");
/** Plaintext bytes per block. */
export const BLOCK_BYTES = 64 * 1024;
/** The most blocks one snapshot may have (4 GiB of plaintext): a larger count in a file is damage. */
const MAX_BLOCKS = 65_536;

/** Why a journal or key file did not open. */
export type JournalDamageKind =
  /** Not a journal of this format (magic, lengths). */
  | "format"
  /** A block does not authenticate where it stands nor anywhere else in the file: changed, or from elsewhere. */
  | "changed"
  /** A block authenticates, but at another position: blocks were swapped or reordered. */
  | "reordered"
  /** The file ends before its last block: cut short. */
  | "truncated"
  /** Bytes follow the last block. */
  | "trailing";

/** A journal or key file that does not open: `kind` says how it is damaged, `block` where. */
export class JournalDamage extends Error {
  constructor(
    readonly kind: JournalDamageKind,
    message: string,
    readonly block?: number,
  ) {
    super(message);
    this.name = "JournalDamage";
  }
}

/** Hands out block counters for one pane key so that no nonce is used twice. */
export class JournalCounter {
  constructor(private next = 0n) {}

  /** Reserves `count` consecutive counters; returns the first. */
  take(count: number): bigint {
    const first = this.next;
    this.next += BigInt(count);
    if (this.next >= 2n ** 64n) throw new Error("journal counter exhausted");
    return first;
  }
}

/** Seals `payload` as a snapshot file of pane `paneId` under `key`, its blocks counted from `counter`. */
export function sealSnapshot(key: Buffer, paneId: string, counter: JournalCounter, payload: Buffer): Buffer {
  checkKey(key);
  const count = Math.max(1, Math.ceil(payload.length / BLOCK_BYTES));
  if (count > MAX_BLOCKS) throw new Error("sealSnapshot: the payload is too large");
  const first = counter.take(count);
  const header = Buffer.alloc(SNAPSHOT_MAGIC.length + 8);
  SNAPSHOT_MAGIC.copy(header);
  header.writeBigUInt64BE(first, SNAPSHOT_MAGIC.length);
  const parts: Buffer[] = [header];
  for (let index = 0; index < count; index++) {
    const plain = payload.subarray(index * BLOCK_BYTES, (index + 1) * BLOCK_BYTES);
    const cipher = createCipheriv("aes-256-gcm", key, blockNonce(first, index));
    cipher.setAAD(blockData(paneId, first, index, index === count - 1));
    const sealed = Buffer.concat([cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(sealed.length - TAG_BYTES);
    parts.push(length, sealed);
  }
  return Buffer.concat(parts);
}

/**
 * Opens a snapshot file of pane `paneId`: its payload, and the counter after its last block (where a writer
 * continuing this journal would go on). Throws JournalDamage on anything that does not open whole: never a
 * partial payload.
 */
export function openSnapshot(key: Buffer, paneId: string, file: Buffer): { payload: Buffer; next: bigint } {
  checkKey(key);
  const start = SNAPSHOT_MAGIC.length + 8;
  if (file.length < start || !file.subarray(0, SNAPSHOT_MAGIC.length).equals(SNAPSHOT_MAGIC)) {
    throw new JournalDamage("format", "not a ccmux journal (its header is missing or unknown)");
  }
  const first = file.readBigUInt64BE(SNAPSHOT_MAGIC.length);
  const blocks = splitBlocks(file, start);
  const plains: Buffer[] = [];
  for (const [index, block] of blocks.entries()) {
    const last = index === blocks.length - 1;
    const plain = tryOpen(key, paneId, first, index, last, block);
    if (plain !== undefined) {
      plains.push(plain);
      continue;
    }
    // Not where it stands: tell a reordered block, a last block cut off or followed by more, from a changed one.
    if (!last && tryOpen(key, paneId, first, index, true, block) !== undefined) {
      throw new JournalDamage(
        "trailing",
        `bytes follow the journal's last block (block ${index})`,
        index + 1,
      );
    }
    if (last && tryOpen(key, paneId, first, index, false, block) !== undefined) {
      throw new JournalDamage(
        "truncated",
        `the journal ends after block ${index}: its last block is missing`,
        index,
      );
    }
    const elsewhere = [...Array(blocks.length + 1).keys()].find(
      (other) =>
        other !== index &&
        (tryOpen(key, paneId, first, other, true, block) ??
          tryOpen(key, paneId, first, other, false, block)) !== undefined,
    );
    if (elsewhere !== undefined) {
      throw new JournalDamage(
        "reordered",
        `block ${index} of the journal is block ${elsewhere}: blocks were moved`,
        index,
      );
    }
    throw new JournalDamage(
      "changed",
      `block ${index} of the journal does not authenticate: it was changed, or comes from another journal`,
      index,
    );
  }
  return { payload: Buffer.concat(plains), next: first + BigInt(blocks.length) };
}

/** Wraps a pane key under the master key, bound to `paneId`. */
export function wrapKey(master: Buffer, paneId: string, paneKey: Buffer): Buffer {
  checkKey(master);
  checkKey(paneKey);
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", master, nonce);
  cipher.setAAD(keyData(paneId));
  return Buffer.concat([KEY_MAGIC, nonce, cipher.update(paneKey), cipher.final(), cipher.getAuthTag()]);
}

/** The pane key in a wrapped key file; throws JournalDamage when it does not open under `master` for `paneId`. */
export function unwrapKey(master: Buffer, paneId: string, file: Buffer): Buffer {
  checkKey(master);
  if (file.length !== WRAPPED_KEY_BYTES || !file.subarray(0, KEY_MAGIC.length).equals(KEY_MAGIC)) {
    throw new JournalDamage("format", "not a ccmux pane key file");
  }
  const nonce = file.subarray(KEY_MAGIC.length, KEY_MAGIC.length + 12);
  const sealed = file.subarray(KEY_MAGIC.length + 12);
  try {
    const decipher = createDecipheriv("aes-256-gcm", master, nonce);
    decipher.setAAD(keyData(paneId));
    decipher.setAuthTag(sealed.subarray(KEY_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(0, KEY_BYTES)), decipher.final()]);
  } catch {
    throw new JournalDamage(
      "changed",
      "the pane key does not open under this master key: changed, another pane's, or another master key's",
    );
  }
}

/** The size of a wrapped key file. */
export const WRAPPED_KEY_BYTES = KEY_MAGIC.length + 12 + KEY_BYTES + TAG_BYTES;

function splitBlocks(file: Buffer, start: number): Buffer[] {
  const blocks: Buffer[] = [];
  let at = start;
  while (at < file.length) {
    if (blocks.length >= MAX_BLOCKS)
      throw new JournalDamage("trailing", "the journal has more blocks than any snapshot");
    if (at + 4 > file.length) {
      throw new JournalDamage(
        "truncated",
        `the journal ends inside block ${blocks.length}'s length`,
        blocks.length,
      );
    }
    const length = file.readUInt32BE(at);
    if (length > BLOCK_BYTES) {
      throw new JournalDamage(
        "changed",
        `block ${blocks.length} claims ${length} bytes, more than a block holds`,
        blocks.length,
      );
    }
    const end = at + 4 + length + TAG_BYTES;
    if (end > file.length) {
      throw new JournalDamage("truncated", `the journal ends inside block ${blocks.length}`, blocks.length);
    }
    blocks.push(file.subarray(at + 4, end));
    at = end;
  }
  if (blocks.length === 0) throw new JournalDamage("truncated", "the journal has no blocks", 0);
  return blocks;
}

function tryOpen(
  key: Buffer,
  paneId: string,
  first: bigint,
  index: number,
  last: boolean,
  block: Buffer,
): Buffer | undefined {
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, blockNonce(first, index));
    decipher.setAAD(blockData(paneId, first, index, last));
    decipher.setAuthTag(block.subarray(block.length - TAG_BYTES));
    return Buffer.concat([decipher.update(block.subarray(0, block.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

function blockNonce(first: bigint, index: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(first + BigInt(index), 4);
  return nonce;
}

function blockData(paneId: string, first: bigint, index: number, last: boolean): Buffer {
  const fixed = Buffer.alloc(13);
  fixed.writeBigUInt64BE(first, 0);
  fixed.writeUInt32BE(index, 8);
  fixed.writeUInt8(last ? 1 : 0, 12);
  return Buffer.concat([Buffer.from(`ccmux-journal-v1\0${paneId}\0`, "utf8"), fixed]);
}

function keyData(paneId: string): Buffer {
  return Buffer.from(`ccmux-pane-key-v1\0${paneId}`, "utf8");
}

function checkKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new Error(`a journal key is ${KEY_BYTES} bytes`);
}
