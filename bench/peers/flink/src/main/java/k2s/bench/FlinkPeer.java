package k2s.bench;

import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.table.api.StatementSet;
import org.apache.flink.table.api.TableResult;
import org.apache.flink.table.api.bridge.java.StreamTableEnvironment;

/**
 * Issue 20's peer, as its filer ran it: Flink SQL in one JVM (a local MiniCluster), parallelism 2,
 * checkpoints every 2 s (to files: the default in-memory storage refuses state over 5 MB), the topic
 * read with the canal-json format and written with StarRocks' connector at its defaults. The key is
 * declared on the source too, so the planner knows the changes are keyed as the sink is and adds no
 * SinkUpsertMaterializer (which would keep every row in state). Runs until killed;
 * bench/flink-peer.ts decides when the table is done.
 *
 * Arguments: bootstrap topic groupId mysqlPort feHttpPort database table[,table …] checkpointDir [key=value …],
 * the last being more Flink configuration (e.g. pipeline.object-reuse=true), or options of the
 * StarRocks sink for those whose key starts with "sink." (e.g. sink.properties.format=json).
 */
public final class FlinkPeer {
  private static final String COLUMNS = String.join(",\n",
      "id BIGINT", "customer_id BIGINT", "order_no STRING", "customer_name STRING", "email STRING",
      "amount DECIMAL(12,2)", "tax DECIMAL(10,2)", "quantity INT", "status STRING", "note STRING",
      "created_at TIMESTAMP(0)", "updated_at TIMESTAMP(0)");
  private static final String COLUMN_NAMES = "id, customer_id, order_no, customer_name, email, amount, tax, quantity, status, note, created_at, updated_at";

  public static void main(String[] args) throws Exception {
    if (args.length < 8) throw new IllegalArgumentException("bootstrap topic groupId mysqlPort feHttpPort database table[,table …] checkpointDir [key=value …]");
    String bootstrap = args[0], topic = args[1], group = args[2], mysqlPort = args[3], feHttpPort = args[4], db = args[5], table = args[6];

    Configuration conf = new Configuration();
    conf.setString("state.checkpoints.dir", "file://" + args[7]);
    StringBuilder sinkOptions = new StringBuilder();
    for (int i = 8; i < args.length; i++) {
      String[] option = args[i].split("=", 2);
      if (option[0].startsWith("sink.")) sinkOptions.append(", '").append(option[0]).append("' = '").append(option[1]).append("'");
      else conf.setString(option[0], option[1]);
    }
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
    env.setParallelism(2);
    env.enableCheckpointing(2000);
    StreamTableEnvironment sql = StreamTableEnvironment.create(env);

    String[] tables = table.split(",");
    // Many tables in one topic: one source (Flink reuses it for every INSERT, so the topic is read and
    // parsed once), each table's rows picked by canal's "table" field.
    String origin = tables.length > 1 ? ", origin_table STRING METADATA FROM 'value.table' VIRTUAL" : "";
    sql.executeSql("CREATE TABLE src (" + COLUMNS + origin + ", PRIMARY KEY (id) NOT ENFORCED) WITH ("
        + "'connector' = 'kafka', 'topic' = '" + topic + "', 'properties.bootstrap.servers' = '" + bootstrap + "', "
        + "'properties.group.id' = '" + group + "', 'scan.startup.mode' = 'earliest-offset', 'format' = 'canal-json')");
    StatementSet inserts = sql.createStatementSet();
    for (int t = 0; t < tables.length; t++) {
      sql.executeSql("CREATE TABLE dst" + t + " (" + COLUMNS + ", PRIMARY KEY (id) NOT ENFORCED) WITH ("
          + "'connector' = 'starrocks', 'jdbc-url' = 'jdbc:mysql://127.0.0.1:" + mysqlPort + "', "
          + "'load-url' = '127.0.0.1:" + feHttpPort + "', 'database-name' = '" + db + "', 'table-name' = '" + tables[t] + "', "
          + "'username' = 'root', 'password' = ''" + sinkOptions + ")");
      String where = tables.length > 1 ? " WHERE origin_table = '" + tables[t] + "'" : "";
      inserts.addInsertSql("INSERT INTO dst" + t + " SELECT " + COLUMN_NAMES + " FROM src" + where);
    }
    TableResult insert = inserts.execute();
    // The harness starts counting CPU here: JVM and MiniCluster start-up are not the pipeline's.
    System.out.println("K2S-BENCH submitted " + insert.getJobClient().orElseThrow().getJobID());
    System.out.flush();
    insert.await();
  }
}
