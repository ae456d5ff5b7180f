import assert from 'node:assert/strict'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'

/**
 * Every message code the server sends beside its English text (state reasons, field issues, Test
 * connection, fetcher reports) has a translation in both of the console's languages, with the
 * same parameters as the English one: a Chinese page never falls back to the server's English.
 */
type Labels = Record<string, string>

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : []
  })
}

/** `code: 'kafka.unreachable'`, `because('state.connecting', …)`, `new JdbcUrlError('jdbc.shape', …)`. */
function codesInSources(): Set<string> {
  const codes = new Set<string>()
  const pattern = /(?:\bcode: |because\(|JdbcUrlError\()'([a-z][A-Za-z]*(?:\.[a-z][A-Za-z]*)+)'/g
  for (const file of [...sources('src'), ...sources('api'), ...sources('workers'), ...sources('bin')]) {
    for (const [, code] of readFileSync(file, 'utf8').matchAll(pattern)) codes.add(code!)
  }
  return codes
}

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()

test('every message code has a translation in English and Chinese, with the same placeholders', async () => {
  const { en } = (await import(new URL('../../dashboards/i18n-en.js', import.meta.url).href)) as { en: Labels }
  const { zh } = (await import(new URL('../../dashboards/i18n-zh.js', import.meta.url).href)) as { zh: Labels }
  const codes = codesInSources()
  // The scan finds what it should: a few codes known to be sent.
  for (const known of ['kafka.unreachable', 'state.connecting', 'check.feHttp.refused', 'mapping.unknownPlaceholder', 'jdbc.database']) assert.ok(codes.has(known), known)
  for (const code of codes) {
    assert.ok(en[code], `en has no translation of ${code}`)
    assert.ok(zh[code], `zh has no translation of ${code}`)
    assert.deepEqual(placeholders(zh[code]!), placeholders(en[code]!), `${code}: zh and en fill in different parameters`)
  }
})
