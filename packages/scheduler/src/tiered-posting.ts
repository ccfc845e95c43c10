/**
 * A posting list (the agents of one scope that offer one tag) split into tiers by how many
 * distinct tags each agent offers.
 *
 * Walking the tiers in ascending tag count visits agents in "fewest extra tags first" order, so a
 * picker can stop at the first tier that holds a qualifying agent instead of scanning them all.
 */
export class TieredPosting<T extends { readonly tagCount: number }> {
  readonly #tiers = new Map<number, Set<T>>();
  readonly #counts: number[] = [];
  #size = 0;

  /** How many entries the posting holds, over all tiers. */
  get size(): number {
    return this.#size;
  }

  /** The tag counts that have a non-empty tier, ascending. Do not mutate. */
  get tagCounts(): readonly number[] {
    return this.#counts;
  }

  /** The entries offering exactly `tagCount` distinct tags, if any. */
  tier(tagCount: number): ReadonlySet<T> | undefined {
    return this.#tiers.get(tagCount);
  }

  /** Adds `entry` to its tier. The caller guarantees it is not already present. */
  add(entry: T): void {
    let tier = this.#tiers.get(entry.tagCount);
    if (tier === undefined) {
      tier = new Set();
      this.#tiers.set(entry.tagCount, tier);
      const at = this.#counts.findIndex((count) => count > entry.tagCount);
      this.#counts.splice(at < 0 ? this.#counts.length : at, 0, entry.tagCount);
    }
    tier.add(entry);
    this.#size++;
  }

  /** Removes `entry`; drops its tier when it empties. Returns false if it was not there. */
  delete(entry: T): boolean {
    const tier = this.#tiers.get(entry.tagCount);
    if (tier === undefined || !tier.delete(entry)) return false;
    this.#size--;
    if (tier.size === 0) {
      this.#tiers.delete(entry.tagCount);
      this.#counts.splice(this.#counts.indexOf(entry.tagCount), 1);
    }
    return true;
  }

  /** Every entry, fewest tags first. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (const count of this.#counts) yield* this.#tiers.get(count)!;
  }
}
