// Creates topics for the Kafka tests (tests/integration/kafka_broker.py), run as a single-file
// source program: java -cp 'libs/*' CreateTopics.java BOOTSTRAP PARTITIONS TOPIC...
// Topics that already exist are left as they are.
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

public class CreateTopics {
    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", args[0]);
        int partitions = Integer.parseInt(args[1]);
        List<NewTopic> topics = new ArrayList<>();
        for (int i = 2; i < args.length; i++)
            topics.add(new NewTopic(args[i], partitions, (short) 1));
        try (Admin admin = Admin.create(p)) {
            for (var e : admin.createTopics(topics).values().entrySet()) {
                try {
                    e.getValue().get();
                } catch (ExecutionException x) {
                    if (!(x.getCause() instanceof TopicExistsException))
                        throw x;
                }
            }
        }
    }
}
