/**
 * 各页面的帮助（中文），与 help-en.js 的页面和段落一一对应（有测试检查）。
 * @typedef {import('./help-en.js').HelpSection} HelpSection
 */
/** @type {Record<string, HelpSection[]>} */
export const helpZh = {
  instances: [
    { title: '什么是实例', text: ['一个实例用一个消费组（k2s-<名称>）从 Kafka Topic 读取 canal JSON，按它的映射环境转换表，再用 Stream Load 写入 StarRocks。只有一批数据全部写入或进入隔离区之后，才会提交它的位点。'] },
    { title: '字段说明', text: [
      'Kafka 地址：host:port 列表。Topic：要读取的 canal Topic。JDBC URL、FE 主机和 FE HTTP 端口：StarRocks（MySQL 端口 9030 用于读取表结构，HTTP 端口 8030 用于 Stream Load）。用户和密码：有 LOAD 和 SELECT 权限的 StarRocks 用户；密码保存后不再显示。',
      '提交批量：每批最多这么多行。提交超时：一批最多等待这么久（毫秒）就写入。停滞判定：落后且这么久没有提交位点，就显示为"停滞"。',
    ] },
    { title: '消费策略', text: ['E-C（常用）：从已提交位点继续，第一次从最早的消息开始。L-C：同样从已提交位点继续，但第一次从最新的消息开始。E-B：每次启动都从每个分区最早的消息重新读取。L-B：每次启动都跳到最新的消息。节点故障转移时总是从已提交位点继续。'] },
    { title: '状态', text: ['启动中：等待拉取节点接手。运行中：正在读取和写入。重试中：写入失败，按退避时间重试（不会跳过任何数据），原因会写明。停滞：落后且超过停滞判定时间没有提交。失败：没有节点能启动它的拉取端。已停止：由操作员停止。'] },
  ],
  instance: [
    { title: '图表', text: ['按分钟显示所选时间范围内：每秒写入行数，以消息数（末尾位点减已提交位点）和秒数（最早未写入消息的时长）表示的延迟，以及进入隔离区的行数。延迟曲线中断表示那一分钟没有拉取节点上报。勾选"按分区"后每个 Topic 分区一条曲线。'] },
    { title: '怎么看', text: ['每秒行数平稳、延迟接近 0：正常。延迟上升而每秒行数为 0：没有数据写入，状态原因会说明为什么。隔离行数上升：StarRocks 拒绝了部分行；打开隔离区，修复原因（列太短、表不存在）后重放。'] },
  ],
  mapping: [
    { title: '环境与规则', text: ['一个环境是一组有序的规则，实例指定它使用的环境。对每条 canal 消息，从上到下逐条尝试：第一条库名模式和表名模式都完整匹配源名称的规则生效。没有规则匹配的消息会被计数并跳过。'] },
    { title: '一条规则', text: [
      '源库 / 源表：匹配完整名称的正则表达式。目标库 / 目标表：模板，可用 ${db}、${table}、${1}…（表名模式的分组）或命名分组。',
      '列重命名（源 → 目标）、排除列、元数据列（源库、源表、事件类型、binlog 时间、Kafka 分区和位点）。删除方式：硬删除（主键表删除该行）、软删除（把一列置为 1）、忽略（计数后跳过）。',
    ], example: 'sourceDatabase: shop    sourceTable: orders_(\\d+)\ntargetDatabase: dw      targetTable: orders\nshop.orders_7 → dw.orders（分表合并）；shop.customers：不匹配' },
    { title: '预览', text: ['粘贴一条 canal 消息并运行预览：显示匹配的规则、目标表，以及写入时会发送的确切行（__op：0 为写入，1 为删除）。选择一个实例，可按真实目标表的列检查这些行。'] },
  ],
  quarantine: [
    { title: '什么是隔离区', text: ['无法写入的数据放到这里，而不是阻塞其余数据：不是有效 canal JSON 的消息、目标表不存在的消息，以及被 StarRocks 拒绝的行（严格模式：放不下的值会被拒绝，而不是变成 NULL）。每一项都保留原因、StarRocks 的错误行、Kafka 位点和原始内容；它的位点照常提交，其余数据继续流动。'] },
    { title: '怎么处理', text: ['先修复原因（建表、加宽列），再点"重放"：该项以新的标签重新写入。"丢弃"会删除该项，计数器会记录它被丢弃。'], example: 'reason: column "note" too long: value "…" (VARCHAR(8))\n→ ALTER TABLE dw.orders MODIFY COLUMN note VARCHAR(64); 然后重放' },
  ],
  nodes: [
    { title: '消费节点', text: ['节点是运行拉取端（读取 Kafka、切分批次）、加载端（Stream Load）或两者的 K2S 进程。每个节点向 Redis 发送心跳；超过租约没有心跳的节点变为离线，它的实例转到另一个在线节点，从已提交位点继续。离线节点可以移除。'] },
    { title: '集群与绑定', text: ['节点属于一个集群（K2S_CLUSTER）。实例可以绑定到一个节点（pinNode）或一个集群（pinCluster）；否则任何拉取节点都可以运行它。"详情"列出节点运行的实例，并可启动或停止它们。'] },
  ],
}
