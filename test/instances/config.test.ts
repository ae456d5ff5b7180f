import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { ZodError } from 'zod'
import { ConfigIssuesError, instanceConfigSchema, mappingRuleSchema, mappingEnvSchema, parseInstanceConfig, type InstanceConfigInput } from '../../src/instances/config.ts'
import { parseJdbcUrl } from '../../src/starrocks/jdbc-url.ts'

/** The instance of the user's document (seed-consumer-server §2), with the instance's own name and mapping env. */
const userExample: InstanceConfigInput = {
  name: 'erp',
  mappingEnv: 'prod',
  kafkaBootstrap: '192.168.20.1:9092,192.168.20.2:9092',
  topics: ['topic1', 'topic2'],
  jdbcUrl: 'jdbc:mysql://127.0.0.1:9030/',
  feHost: '127.0.0.1',
  feHttpPort: 8030,
  userName: 'root',
  passWord: 'secret',
  consumerPolicy: 'L-C',
  commitBatch: 5000,
  commitTimeout: 2000,
}

/** Parses and expects a ZodError with an issue on exactly `path`; returns that issue's message. */
function rejected(parse: () => unknown, path: (string | number)[]): string {
  try {
    parse()
  } catch (err) {
    assert.ok(err instanceof ZodError, `expected a ZodError, got ${String(err)}`)
    const issue = err.issues.find((i) => JSON.stringify(i.path) === JSON.stringify(path))
    assert.ok(issue, `no issue on ${JSON.stringify(path)}; issues: ${JSON.stringify(err.issues.map((i) => ({ path: i.path, message: i.message })))}`)
    return issue.message
  }
  assert.fail(`accepted, expected an error on ${JSON.stringify(path)}`)
}

const instance = (patch: Record<string, unknown>) => () => instanceConfigSchema.parse({ ...userExample, ...patch })

/** The cross-field issues parseInstanceConfig names (none: []). */
function configIssues(patch: Record<string, unknown>): { path: string; message: string }[] {
  try {
    parseInstanceConfig({ ...userExample, ...patch })
    return []
  } catch (err) {
    assert.ok(err instanceof ConfigIssuesError, `expected a ConfigIssuesError, got ${String(err)}`)
    // The English is what these tests read; message-codes.test.ts checks the codes.
    return err.issues.map(({ path, message }) => ({ path, message }))
  }
}

describe('instanceConfigSchema', () => {
  test("accepts the user's example and fills the defaults", () => {
    assert.deepEqual(instanceConfigSchema.parse(userExample), {
      name: 'erp',
      mappingEnv: 'prod',
      kafkaBootstrap: '192.168.20.1:9092,192.168.20.2:9092',
      topics: ['topic1', 'topic2'],
      topicPattern: '',
      kafkaSecurityProtocol: 'PLAINTEXT',
      kafkaSaslMechanism: 'PLAIN',
      kafkaSaslUser: '',
      kafkaSaslPassword: '',
      kafkaTlsCa: '',
      kafkaTlsCert: '',
      kafkaTlsKey: '',
      kafkaTlsVerifyHostname: true,
      jdbcUrl: 'jdbc:mysql://127.0.0.1:9030/',
      feHost: '127.0.0.1',
      feHttpPort: 8030,
      userName: 'root',
      passWord: 'secret',
      consumerPolicy: 'L-C',
      commitBatch: 5000,
      commitTimeout: 2000,
      maxBatchBytes: 16 * 1024 * 1024,
      loadTimeoutMs: 60_000,
      retryBackoffMs: 1_000,
      retryBackoffMaxMs: 60_000,
      labelPrefix: 'k2s',
      strictMode: true,
      pinNode: '',
      pinCluster: '',
      stallAfterMs: 60_000,
      format: 'canal',
      timeZone: 'UTC',
    })
  })

  test('format defaults to canal, timeZone to UTC; others are named when wrong', () => {
    const c = instanceConfigSchema.parse(userExample)
    assert.deepEqual([c.format, c.timeZone], ['canal', 'UTC'])
    const dbz = instanceConfigSchema.parse({ ...userExample, format: 'debezium', timeZone: 'Asia/Shanghai' })
    assert.deepEqual([dbz.format, dbz.timeZone], ['debezium', 'Asia/Shanghai'])
    assert.equal(instanceConfigSchema.parse({ ...userExample, format: 'maxwell' }).format, 'maxwell')
    rejected(() => instanceConfigSchema.parse({ ...userExample, format: 'avro' }), ['format'])
    assert.match(rejected(() => instanceConfigSchema.parse({ ...userExample, timeZone: 'Mars/Olympus' }), ['timeZone']), /IANA time zone/)
  })

  test('commitBatch, commitTimeout and consumerPolicy default to 10000, 1000 ms and E-C', () => {
    const { commitBatch, commitTimeout, consumerPolicy, ...rest } = userExample
    void commitBatch
    void commitTimeout
    void consumerPolicy
    const config = instanceConfigSchema.parse(rest)
    assert.equal(config.commitBatch, 10_000)
    assert.equal(config.commitTimeout, 1_000)
    assert.equal(config.consumerPolicy, 'E-C')
  })

  test('an empty password is allowed (StarRocks root has none by default)', () => {
    assert.equal(instanceConfigSchema.parse({ ...userExample, passWord: '' }).passWord, '')
  })

  for (const policy of ['E-C', 'E-B', 'L-C', 'L-B'] as const) {
    test(`consumerPolicy ${policy} is kept`, () => {
      assert.equal(instanceConfigSchema.parse({ ...userExample, consumerPolicy: policy }).consumerPolicy, policy)
    })
  }

  for (const policy of ['X', '', 'e-b', 'EB', 'L-B ']) {
    test(`unknown consumerPolicy ${JSON.stringify(policy)} means E-C`, () => {
      assert.equal(instanceConfigSchema.parse({ ...userExample, consumerPolicy: policy }).consumerPolicy, 'E-C')
    })
  }

  test('kafkaBootstrap is trimmed to a clean comma list', () => {
    const config = instanceConfigSchema.parse({ ...userExample, kafkaBootstrap: ' 192.168.20.1:9092 , kafka-2.local:9093, ' })
    assert.equal(config.kafkaBootstrap, '192.168.20.1:9092,kafka-2.local:9093')
  })

  for (const bad of ['192.168.20.1', '', ' , ', '192.168.20.1:abc', '192.168.20.1:9092;192.168.20.2:9092', 'PLAINTEXT://kafka:9092', 'kafka 1:9092']) {
    test(`bad kafkaBootstrap ${JSON.stringify(bad)} is rejected on kafkaBootstrap`, () => {
      const message = rejected(instance({ kafkaBootstrap: bad }), ['kafkaBootstrap'])
      assert.match(message, /host:port/)
    })
  }

  test('kafkaBootstrap ports outside 1-65535 are rejected on kafkaBootstrap', () => {
    for (const bad of ['192.168.20.1:0', '192.168.20.1:65536', '192.168.20.1:9092,192.168.20.2:99999']) {
      rejected(instance({ kafkaBootstrap: bad }), ['kafkaBootstrap'])
    }
  })

  test('jdbcUrl without a port is accepted', () => {
    assert.equal(instanceConfigSchema.parse({ ...userExample, jdbcUrl: 'jdbc:mysql://fe1:9030' }).jdbcUrl, 'jdbc:mysql://fe1:9030')
    assert.equal(instanceConfigSchema.parse({ ...userExample, jdbcUrl: 'jdbc:mysql://fe1/' }).jdbcUrl, 'jdbc:mysql://fe1/')
  })

  const shape = 'must look like jdbc:mysql://host:port/ (a query string such as ?useSSL=false may follow)'
  for (const [bad, why] of [
    ['jdbc:mysql://127.0.0.1:9030/shop', 'remove the database "shop": K2S names each table with its database (jdbc:mysql://127.0.0.1:9030/)'],
    ['jdbc:mysql://127.0.0.1:9030/shop?useSSL=false', 'remove the database "shop": K2S names each table with its database (jdbc:mysql://127.0.0.1:9030/)'],
    ['jdbc:mysql://fe:9030/?useSSL=maybe', 'useSSL must be true or false, got "maybe"'],
    ['jdbc:mysql://fe:9030/?sslMode=SOMETIMES', 'sslMode must be one of DISABLED, PREFERRED, REQUIRED, VERIFY_CA, VERIFY_IDENTITY, got "SOMETIMES"'],
    ['jdbc:mysql://fe:9030/?connectTimeout=soon', 'connectTimeout must be milliseconds above 0, got "soon"'],
    ['mysql://127.0.0.1:9030/', shape],
    ['jdbc:postgresql://127.0.0.1:5432/', shape],
    ['', shape],
  ] as const) {
    test(`bad jdbcUrl ${JSON.stringify(bad)} is rejected on jdbcUrl, saying why`, () => {
      assert.equal(rejected(instance({ jdbcUrl: bad }), ['jdbcUrl']), why)
    })
  }

  test("the seed's jdbcUrl with a query string is accepted; what applies is used, the rest left alone", () => {
    const seed = 'jdbc:mysql://10.0.0.5:9030/?useSSL=false&serverTimezone=GMT'
    assert.equal(instanceConfigSchema.parse({ ...userExample, jdbcUrl: seed }).jdbcUrl, seed)
    assert.deepEqual(parseJdbcUrl(seed), { host: '10.0.0.5', port: 9030, mysql: {}, ignored: ['serverTimezone'] })
    assert.deepEqual(parseJdbcUrl('jdbc:mysql://fe?useSSL=true&connectTimeout=2500&characterEncoding=utf8').mysql, { ssl: { rejectUnauthorized: false }, connectTimeout: 2500 })
    assert.deepEqual(parseJdbcUrl('jdbc:mysql://fe:9030/?useSSL=true&verifyServerCertificate=true').mysql, { ssl: { rejectUnauthorized: true } })
    assert.deepEqual(parseJdbcUrl('jdbc:mysql://fe:9030/?useSSL=true&sslMode=DISABLED').mysql, {})
    assert.deepEqual(parseJdbcUrl('jdbc:mysql://fe:9030/?sslMode=verify_identity').mysql, { ssl: { rejectUnauthorized: true } })
  })

  test('empty topics are rejected on topics, unless a topicPattern is given; both at once on topicPattern', () => {
    assert.deepEqual(configIssues({ topics: [] }), [{ path: 'topics', message: 'name at least one topic, or give a topicPattern' }])
    assert.equal(parseInstanceConfig({ ...userExample, topics: [], topicPattern: 'shop_.*' }).topicPattern, 'shop_.*')
    assert.deepEqual(configIssues({ topicPattern: 'shop_.*' }).map((i) => i.path), ['topicPattern'])
  })

  test('a topicPattern must be RE2 syntax: backreferences and lookarounds, which need backtracking, are refused', () => {
    assert.match(rejected(instance({ topics: [], topicPattern: '(a)\\1' }), ['topicPattern']), /back-references are not supported: .*\(RE2 syntax\)/)
    assert.match(rejected(instance({ topics: [], topicPattern: 'shop_(?!tmp).*' }), ['topicPattern']), /RE2 syntax/)
    assert.match(rejected(instance({ topics: [], topicPattern: '[' }), ['topicPattern']), /RE2 syntax/)
  })

  test('SASL needs a user and password; SASL and TLS fields only with their protocol; a client certificate with its key', () => {
    assert.deepEqual(configIssues({ kafkaSecurityProtocol: 'SASL_SSL' }).map((i) => i.path), ['kafkaSaslUser', 'kafkaSaslPassword'])
    assert.deepEqual(configIssues({ kafkaSaslUser: 'canal' }), [{ path: 'kafkaSaslUser', message: 'only with kafkaSecurityProtocol SASL_PLAINTEXT or SASL_SSL' }])
    assert.deepEqual(configIssues({ kafkaSecurityProtocol: 'SASL_PLAINTEXT', kafkaSaslUser: 'canal', kafkaSaslPassword: 'x' }), [])
    assert.match(rejected(instance({ kafkaSecurityProtocol: 'SSL', kafkaTlsCa: 'not a certificate' }), ['kafkaTlsCa']), /PEM certificate/)
    assert.match(rejected(instance({ kafkaSecurityProtocol: 'SSL', kafkaTlsKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----' }), ['kafkaTlsKey']), /unencrypted PEM private key/)
    assert.equal(rejected(instance({ kafkaSecurityProtocol: 'SCRAM' }), ['kafkaSecurityProtocol']).length > 0, true)
  })

  test('repeated topics are rejected on topics', () => {
    assert.equal(rejected(instance({ topics: ['a', 'a'] }), ['topics']), 'topics must not repeat')
  })

  test('a topic name Kafka would refuse is rejected on its index', () => {
    rejected(instance({ topics: ['ok', 'not ok'] }), ['topics', 1])
  })

  for (const bad of [0, -1, 65536, 8030.5, '8030']) {
    test(`feHttpPort ${JSON.stringify(bad)} is rejected on feHttpPort`, () => {
      rejected(instance({ feHttpPort: bad }), ['feHttpPort'])
    })
  }

  test('feHttpPort 65535 and 1 are accepted', () => {
    assert.equal(instanceConfigSchema.parse({ ...userExample, feHttpPort: 65535 }).feHttpPort, 65535)
    assert.equal(instanceConfigSchema.parse({ ...userExample, feHttpPort: 1 }).feHttpPort, 1)
  })

  test('feHost with a scheme or port is rejected on feHost', () => {
    rejected(instance({ feHost: 'http://127.0.0.1' }), ['feHost'])
    rejected(instance({ feHost: '127.0.0.1:8030' }), ['feHost'])
  })

  test('commitBatch 0 and commitTimeout 5 are rejected on their fields', () => {
    rejected(instance({ commitBatch: 0 }), ['commitBatch'])
    rejected(instance({ commitTimeout: 5 }), ['commitTimeout'])
  })

  test('missing userName and bad instance name are reported on their fields', () => {
    const { userName, ...noUser } = userExample
    void userName
    rejected(() => instanceConfigSchema.parse(noUser), ['userName'])
    rejected(instance({ name: '-erp' }), ['name'])
    rejected(instance({ name: 'a b' }), ['name'])
  })
})

describe('mappingRuleSchema', () => {
  test('a minimal rule gets its defaults', () => {
    const r = mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'order_\\d+' })
    assert.equal(r.targetDatabase, '${db}')
    assert.equal(r.targetTable, '${table}')
    assert.deepEqual(r.columnRenames, {})
    assert.deepEqual(r.excludeColumns, [])
    assert.deepEqual(r.metadataColumns, {})
    assert.deepEqual(r.constantColumns, {})
    assert.deepEqual(r.needTypes, ['insert', 'update', 'delete'])
    assert.equal(r.deleteMode, 'hard')
    assert.equal(r.softDeleteColumn, undefined)
  })

  test('a full rule is accepted as given', () => {
    const input = {
      sourceDatabase: 'shop_(?<region>[a-z]+)',
      sourceTable: 'order_(\\d+)',
      targetDatabase: 'dw_${region}',
      targetTable: 'orders_${1}',
      columnRenames: { UserName: 'user_name' },
      excludeColumns: ['secret'],
      metadataColumns: { src_table: 'sourceTable', binlog_time: 'binlogTime' },
      constantColumns: { tenant: 'shop_cn', source_system: '' },
      needTypes: ['insert', 'update'],
      deleteMode: 'soft',
      softDeleteColumn: 'is_deleted',
    } as const
    assert.deepEqual(mappingRuleSchema.parse(input), input)
  })

  test('an invalid regular expression is reported on sourceTable', () => {
    assert.match(rejected(() => mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'order_(\\d+' }), ['sourceTable']), /^not a valid regular expression \(RE2 syntax\): missing closing \)/)
  })

  test('an invalid regular expression is reported on sourceDatabase', () => {
    rejected(() => mappingRuleSchema.parse({ sourceDatabase: '[shop', sourceTable: 'orders' }), ['sourceDatabase'])
  })

  test('${2} with one group is reported on targetTable', () => {
    const message = rejected(() => mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'order_(\\d+)', targetTable: 'order_${2}' }), ['targetTable'])
    assert.match(message, /unknown placeholder \$\{2\}/)
  })

  test('an unknown name is reported on targetDatabase', () => {
    const message = rejected(() => mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'orders', targetDatabase: 'dw_${region}' }), ['targetDatabase'])
    assert.match(message, /unknown placeholder \$\{region\}/)
  })

  test('the placeholder error offers only what the rule has: no ${1}..${0} range', () => {
    const none = rejected(() => mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'orders', targetTable: 't_${1}' }), ['targetTable'])
    assert.equal(none, 'unknown placeholder ${1}: this rule offers ${db}, ${table} (the table pattern has no groups to number: add one, e.g. orders_(\\d+), to use ${1})')
    const two = rejected(() => mappingRuleSchema.parse({ sourceDatabase: '(?<tenant>\\w+)', sourceTable: '(a)_(b)', targetTable: 't_${3}' }), ['targetTable'])
    assert.equal(two, 'unknown placeholder ${3}: this rule offers ${db}, ${table}, ${1}…${2}, ${tenant}')
    const issue = mappingRuleSchema.safeParse({ sourceDatabase: 'shop', sourceTable: 'order_(\\d+)', targetTable: 'x_${2}' }).error!.issues[0]!
    const said = (issue as { params?: { said?: { code: string; params: unknown } } }).params?.said
    assert.deepEqual([said?.code, said?.params], ['field.template_placeholder', { placeholder: '${2}', usable: '${db}, ${table}, ${1}' }])
  })

  test('${1} with one group, ${db}, ${table} and named groups of either pattern are accepted', () => {
    mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'order_(\\d+)', targetTable: 'order_${1}' })
    mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'orders', targetDatabase: 'ods_${db}', targetTable: '${table}_v2' })
    mappingRuleSchema.parse({ sourceDatabase: '(?<tenant>\\w+)_db', sourceTable: '(?<base>[a-z]+)_\\d+', targetDatabase: 'dw_${tenant}', targetTable: '${base}' })
  })

  test('characters StarRocks names do not allow are reported on the target field', () => {
    rejected(() => mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'orders', targetTable: 'all-orders' }), ['targetTable'])
  })

  test('soft delete mode without softDeleteColumn is reported on softDeleteColumn', () => {
    assert.equal(
      rejected(() => mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'orders', deleteMode: 'soft' }), ['softDeleteColumn']),
      'required when deleteMode is "soft"',
    )
  })

  test('an unknown delete mode and metadata kind are reported on their fields', () => {
    rejected(() => mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'orders', deleteMode: 'purge' }), ['deleteMode'])
    rejected(() => mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'orders', metadataColumns: { t: 'when' } }), ['metadataColumns', 't'])
  })

  test('needTypes and constantColumns: a bad value is reported on its field', () => {
    assert.match(rejected(() => mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'orders', needTypes: [] }), ['needTypes']), /at least one event type/)
    rejected(() => mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'orders', needTypes: ['insert', 'upsert'] }), ['needTypes', 1])
    assert.equal(rejected(() => mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'orders', needTypes: ['insert', 'insert'] }), ['needTypes']), 'event types must not repeat')
    rejected(() => mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'orders', constantColumns: { 'bad-name': 'x' } }), ['constantColumns', 'bad-name'])
    rejected(() => mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'orders', constantColumns: { t: 'x'.repeat(1025) } }), ['constantColumns', 't'])
    assert.match(
      rejected(() => mappingRuleSchema.parse({ sourceDatabase: 'shop', sourceTable: 'orders', metadataColumns: { src: 'sourceTable' }, constantColumns: { SRC: 'x' } }), ['constantColumns', 'SRC']),
      /already a metadata/,
    )
  })

  test('inside an environment, the issue path names the rule', () => {
    rejected(() => mappingEnvSchema.parse({ name: 'prod', rules: [{ sourceDatabase: 'a', sourceTable: 'b' }, { sourceDatabase: 'a', sourceTable: '(' }] }), ['rules', 1, 'sourceTable'])
  })
})
