import { decodeAnswer, encodeAnswer, type CachedAnswer } from './cached-answer.js'
import { ALONE, type Claim, type SharedSessionLevel } from './shared-level.js'

/** What a worker asks the cluster primary's shared level (answers carry the same `id`). */
export type LevelRequest =
  | { readonly t: 'level-claim'; readonly id: number; readonly key: string; readonly waitMs: number }
  | { readonly t: 'level-peek'; readonly id: number; readonly key: string }
  | { readonly t: 'level-fill'; readonly key: string; readonly answer: string; readonly lease: string | undefined }
  | { readonly t: 'level-release'; readonly key: string; readonly lease: string }
  | { readonly t: 'level-evict'; readonly id: number; readonly keys: readonly string[] }
  /** This worker dropped the keys of the primary's `level-evicted` with the same `id`. */
  | { readonly t: 'level-evicted-here'; readonly id: number }

/** What the primary says: answers to requests, and evictions made by other workers. */
export type LevelReply =
  | { readonly t: 'level-claimed'; readonly id: number; readonly kind: Claim['kind']; readonly answer?: string; readonly lease?: string }
  | { readonly t: 'level-peeked'; readonly id: number; readonly answer: string | undefined }
  | { readonly t: 'level-evicted-all'; readonly id: number }
  /** Another worker's logout: drop these keys, then say `level-evicted-here`. */
  | { readonly t: 'level-evicted'; readonly id: number; readonly keys: readonly string[] }

/** The IPC channel to the primary: `process` in a cluster worker. */
export interface PrimaryChannel {
  send?(message: LevelRequest): unknown
  on(event: 'message', listener: (message: unknown) => void): unknown
  on(event: 'disconnect', listener: () => void): unknown
  readonly connected: boolean
}

const LEVEL_REPLIES: ReadonlySet<string> = new Set<LevelReply['t']>([
  'level-claimed',
  'level-peeked',
  'level-evicted-all',
  'level-evicted',
])

type Pending = (reply: LevelReply | undefined) => void

/**
 * A worker's view of the shared level the cluster primary keeps ({@link MemorySessionLevel}
 * there): each call is one message, answers are matched by id. A primary that is gone answers
 * like an empty level (`alone`, nothing), so the worker asks Ory itself until it is replaced.
 */
export class IpcSessionLevel implements SharedSessionLevel {
  readonly #channel: PrimaryChannel
  readonly #pending = new Map<number, Pending>()
  #nextId = 0
  #evicted: (keys: readonly string[]) => void = () => {}

  constructor(channel: PrimaryChannel) {
    this.#channel = channel
    channel.on('message', (message) => this.#receive(message as LevelReply))
    channel.on('disconnect', () => this.#settleAll())
  }

  async claim(key: string, waitMs: number): Promise<Claim> {
    const reply = await this.#ask((id) => ({ t: 'level-claim', id, key, waitMs }))
    if (reply?.t !== 'level-claimed') return ALONE
    if (reply.kind === 'lead') return { kind: 'lead', lease: reply.lease! }
    const answer = reply.kind === 'answer' ? decodeAnswer(reply.answer!) : undefined
    return answer === undefined ? ALONE : { kind: 'answer', answer }
  }

  async peek(key: string): Promise<CachedAnswer | undefined> {
    const reply = await this.#ask((id) => ({ t: 'level-peek', id, key }))
    return reply?.t === 'level-peeked' && reply.answer !== undefined ? decodeAnswer(reply.answer) : undefined
  }

  fill(key: string, answer: CachedAnswer, lease: string | undefined): void {
    this.#send({ t: 'level-fill', key, answer: encodeAnswer(answer), lease })
  }

  release(key: string, lease: string): void {
    this.#send({ t: 'level-release', key, lease })
  }

  async evict(keys: readonly string[]): Promise<void> {
    await this.#ask((id) => ({ t: 'level-evict', id, keys }))
  }

  onEvicted(listener: (keys: readonly string[]) => void): void {
    this.#evicted = listener
  }

  close(): Promise<void> {
    this.#settleAll()
    return Promise.resolve()
  }

  #ask(request: (id: number) => LevelRequest): Promise<LevelReply | undefined> {
    if (!this.#channel.connected) return Promise.resolve(undefined)
    const id = ++this.#nextId
    return new Promise((resolve) => {
      this.#pending.set(id, resolve)
      this.#send(request(id))
    })
  }

  #send(message: LevelRequest): void {
    if (!this.#channel.connected) return
    try {
      this.#channel.send!(message)
    } catch {
      // The channel closed between the check and the send: 'disconnect' settles what waits.
    }
  }

  #receive(message: LevelReply): void {
    if (message === null || typeof message !== 'object' || !LEVEL_REPLIES.has(message.t)) return
    if (message.t === 'level-evicted') {
      this.#evicted(message.keys)
      this.#send({ t: 'level-evicted-here', id: message.id })
      return
    }
    const pending = this.#pending.get(message.id)
    if (pending === undefined) return
    this.#pending.delete(message.id)
    pending(message)
  }

  #settleAll(): void {
    for (const pending of this.#pending.values()) pending(undefined)
    this.#pending.clear()
  }
}
