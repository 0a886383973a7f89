// The scratch one recommend (or predict) call of an item-item model works in, by dense index:
// which movies are in the history, which candidates were offered, and the score sums. A mark or
// sum counts only when stamped with the call's epoch, so nothing is cleared between calls; a model
// answers one call at a time, so one scratch serves them all.

const LAST_EPOCH = 0x7fffffff;

export class CallScratch {
  private epoch = 0;
  private readonly ratedStamp: Int32Array;
  private readonly offeredStamp: Int32Array;
  private readonly scoreStamp: Int32Array;
  /**
   * Score sums: this call's where `add` reached them (`sum`). A dense kernel that writes every
   * entry itself reads and writes it directly.
   */
  readonly score: Float64Array;
  /** The indices `add` reached this call, in the order reached. */
  readonly touched: number[] = [];

  constructor(size: number) {
    this.ratedStamp = new Int32Array(size);
    this.offeredStamp = new Int32Array(size);
    this.scoreStamp = new Int32Array(size);
    this.score = new Float64Array(size);
  }

  /** Starts a call: the marks and sums of earlier calls stop counting. */
  begin(): void {
    if (this.epoch === LAST_EPOCH) {
      this.epoch = 0;
      this.ratedStamp.fill(0);
      this.offeredStamp.fill(0);
      this.scoreStamp.fill(0);
    }
    this.epoch++;
    this.touched.length = 0;
  }

  /** Marks i as in the history; false when this call had marked it already (listed twice). */
  markRated(i: number): boolean {
    if (this.ratedStamp[i] === this.epoch) return false;
    this.ratedStamp[i] = this.epoch;
    return true;
  }

  isRated(i: number): boolean {
    return this.ratedStamp[i] === this.epoch;
  }

  /** Marks i as offered; false when this call had offered it already (a candidate listed twice). */
  markOffered(i: number): boolean {
    if (this.offeredStamp[i] === this.epoch) return false;
    this.offeredStamp[i] = this.epoch;
    return true;
  }

  /** score[j] += value, the sum started at 0 the first time this call reaches j. */
  add(j: number, value: number): void {
    if (this.scoreStamp[j] !== this.epoch) {
      this.scoreStamp[j] = this.epoch;
      this.score[j] = 0;
      this.touched.push(j);
    }
    this.score[j] += value;
  }

  /** j's sum this call; 0 when `add` did not reach it. */
  sum(j: number): number {
    return this.scoreStamp[j] === this.epoch ? this.score[j] : 0;
  }
}
