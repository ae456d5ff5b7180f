import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Kafka's own Java producer (the one canal uses), run as a single-file source program by
 * java-producer.ts: args bootstrap, topic, compression.type; one message value per stdin line.
 * Batches are made large so the codec really compresses several records together.
 */
public class CompressedProducer {
  public static void main(String[] args) throws Exception {
    Properties props = new Properties();
    props.put("bootstrap.servers", args[0]);
    props.put("compression.type", args[2]);
    props.put("acks", "all");
    props.put("linger.ms", "100");
    props.put("batch.size", "1048576");
    props.put("key.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
    props.put("value.serializer", "org.apache.kafka.common.serialization.ByteArraySerializer");
    List<Future<RecordMetadata>> sent = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) sent.add(producer.send(new ProducerRecord<>(args[1], 0, null, line.getBytes(StandardCharsets.UTF_8))));
      producer.flush();
      for (Future<RecordMetadata> f : sent) f.get();
    }
    System.out.println("sent " + sent.size());
  }
}
