/**
 * A Map that forgets its oldest entry once it holds `max`: the caches here are keyed by names that
 * come with the data (tables, patterns), and a long-running loader must not grow with every new one.
 * Forgetting costs only a recomputation.
 */
export class BoundedMap<K, V> extends Map<K, V> {
  constructor(readonly max: number) {
    super()
  }

  override set(key: K, value: V): this {
    if (this.size >= this.max && !this.has(key)) this.delete(this.keys().next().value!)
    return super.set(key, value)
  }
}
