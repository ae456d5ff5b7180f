import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { test } from 'node:test'
import { ZodError } from 'zod'
import { issuesOf } from '../../api/errors.ts'
import { instanceConfigSchema, mappingRuleSchema } from '../../src/instances/config.ts'
import { catalog, fill, type MessageCode } from '../../src/messages.ts'

/**
 * The shared contract for what the API says to people: every message carries a code from
 * src/messages.ts, and the console has that code in Chinese and in English. The codes are found by
 * reading the source, so a code added anywhere without its translations fails here.
 */
const root = new URL('../../', import.meta.url).pathname
type Texts = Record<string, string>
const { enCodes } = (await import(new URL('../../dashboards/i18n-codes-en.js', import.meta.url).href)) as { enCodes: Texts }
const { zhCodes } = (await import(new URL('../../dashboards/i18n-codes-zh.js', import.meta.url).href)) as { zhCodes: Texts }

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort()
const prefixes = [...new Set(Object.keys(catalog).map((code) => code.split('.')[0]))]
const codeLiteral = new RegExp(`['"\`]((?:${prefixes.join('|')})\\.[a-z_]+)['"\`]`, 'g')

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return /\.(ts|mjs)$/.test(entry.name) ? [path] : []
  })
}

/** Every code written in the server's source, with the file that writes it. */
function codesInSource(): Map<string, string> {
  const found = new Map<string, string>()
  for (const dir of ['src', 'api', 'workers', 'bin']) {
    for (const file of sourceFiles(dir)) {
      if (file === join('src', 'messages.ts')) continue
      for (const m of readFileSync(join(root, file), 'utf8').matchAll(codeLiteral)) found.set(m[1]!, relative('.', file))
    }
  }
  return found
}

test('every code the server can send has a Chinese and an English text with the same placeholders', () => {
  for (const [code, english] of Object.entries(catalog)) {
    for (const [lang, texts] of [['en', enCodes], ['zh', zhCodes]] as const) {
      const text = texts[code]
      assert.ok(text !== undefined && text.trim() !== '', `dashboards/i18n-codes-${lang}.js has no text for ${code}`)
      assert.deepEqual(placeholders(text), placeholders(english), `${lang} text of ${code} fills other params than the server's`)
    }
  }
  for (const texts of [enCodes, zhCodes]) for (const code of Object.keys(texts)) assert.ok(code in catalog, `the console translates ${code}, which the server never sends`)
})

test('every code written in the source is in the catalog, and every catalog code is used', () => {
  const used = codesInSource()
  for (const [code, file] of used) assert.ok(code in catalog, `${file} sends ${code}, which src/messages.ts does not define`)
  for (const code of Object.keys(catalog)) assert.ok(used.has(code), `${code} is defined but nothing sends it`)
})

test('bad instance and rule fields answer with K2S codes, never the catch-all', () => {
  const badInstance = {
    name: '-bad name',
    kafkaBootstrap: 'no port',
    topics: ['ok', 'ok', 'bad topic'],
    mappingEnv: '',
    jdbcUrl: 'http://x',
    feHost: 'http://fe',
    feHttpPort: 70_000,
    userName: '',
    passWord: 5,
    commitBatch: 1.5,
    commitTimeout: 1,
    labelPrefix: 'too-long-and-dashed',
    strictMode: 'yes',
    surplus: true,
  }
  const issues = issuesOf(instanceConfigSchema.strict().safeParse(badInstance).error as ZodError)
  const byPath = Object.fromEntries(issues.map((i) => [i.path, i.code]))
  assert.deepEqual(byPath, {
    name: 'field.name_format',
    kafkaBootstrap: 'field.bootstrap_format',
    'topics.2': 'field.topic_format',
    topics: 'field.topics_repeat',
    mappingEnv: 'field.name_format',
    jdbcUrl: 'jdbc.shape',
    feHost: 'field.fe_host_format',
    feHttpPort: 'field.number_too_big',
    userName: 'field.required',
    passWord: 'field.expected_text',
    commitBatch: 'field.not_integer',
    commitTimeout: 'field.number_too_small',
    labelPrefix: 'field.label_prefix_format',
    strictMode: 'field.expected_boolean',
    surplus: 'field.unknown',
  })
  const timeout = issues.find((i) => i.path === 'commitTimeout')!
  assert.deepEqual([timeout.params, timeout.message], [{ minimum: 10 }, 'must be at least 10'])

  const rule = issuesOf(mappingRuleSchema.safeParse({ sourceDatabase: 'shop', sourceTable: 'order_(\\d+)', targetTable: 'o_${2}', deleteMode: 'soft' }).error as ZodError)
  const placeholder = rule.find((i) => i.path === 'targetTable')!
  assert.deepEqual(placeholder, {
    path: 'targetTable',
    code: 'field.template_placeholder',
    params: { placeholder: '${2}', usable: '${db}, ${table}, ${1}' },
    message: 'unknown placeholder ${2}: this rule offers ${db}, ${table}, ${1}',
  })
  assert.equal(rule.find((i) => i.path === 'softDeleteColumn')?.code, 'field.soft_delete_column_required')
  for (const issue of [...issues, ...rule]) {
    assert.notEqual(issue.code, 'field.invalid', `${issue.path} fell through to the catch-all: ${issue.message}`)
    assert.equal(issue.message, fill(catalog[issue.code as MessageCode], issue.params), `${issue.path}: the English is not the catalog's text`)
  }
})

test('every page has its help in both languages, section for section, with the examples in both', async () => {
  type Help = Record<string, { title: string; text: string[]; example?: string }[]>
  const { helpEn } = (await import(new URL('../../dashboards/help-en.js', import.meta.url).href)) as { helpEn: Help }
  const { helpZh } = (await import(new URL('../../dashboards/help-zh.js', import.meta.url).href)) as { helpZh: Help }
  const pages = readdirSync(join(root, 'dashboards/pages')).filter((f) => readFileSync(join(root, 'dashboards/pages', f), 'utf8').includes('helpPanel('))
  const asked = new Set(pages.flatMap((f) => [...readFileSync(join(root, 'dashboards/pages', f), 'utf8').matchAll(/helpPanel\('(\w+)'\)/g)].map((m) => m[1]!)))
  assert.deepEqual([...asked].sort(), ['instance', 'instances', 'mapping', 'nodes', 'quarantine'])
  for (const page of asked) {
    const [en, zh] = [helpEn[page], helpZh[page]]
    assert.ok(en?.length && zh?.length, `no help for ${page}`)
    assert.equal(zh.length, en.length, `${page}: the Chinese help has other sections`)
    en.forEach((section, i) => {
      assert.equal(Boolean(zh[i]!.example), Boolean(section.example), `${page} / ${section.title}: an example in one language only`)
      assert.ok(/[\u4e00-\u9fff]/.test(zh[i]!.title + zh[i]!.text.join('')), `${page} / ${section.title}: not in Chinese`)
    })
  }
})

test('codes stored with data (a quarantined row\'s reason) have a Chinese and an English label with the same placeholders', async () => {
  const { en } = (await import(new URL('../../dashboards/i18n-en.js', import.meta.url).href)) as { en: Texts }
  const { zh } = (await import(new URL('../../dashboards/i18n-zh.js', import.meta.url).href)) as { zh: Texts }
  const stored = new Map<string, string>()
  for (const dir of ['src', 'api', 'workers', 'bin']) {
    for (const file of sourceFiles(dir)) {
      for (const m of readFileSync(join(root, file), 'utf8').matchAll(/\bcode: '([a-z]+\.[A-Za-z_]+)'/g)) if (!(m[1]! in catalog)) stored.set(m[1]!, file)
    }
  }
  assert.ok(stored.has('quarantine.rowRefused'), 'the scan finds the codes a quarantine item carries')
  for (const [code, file] of stored) {
    assert.ok(en[code] && zh[code], `${file} stores ${code}, which the console cannot show in both languages`)
    assert.deepEqual(placeholders(zh[code]!), placeholders(en[code]!), `${code}: zh and en fill in different parameters`)
  }
})
