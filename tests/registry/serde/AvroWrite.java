import io.apicurio.registry.serde.SerdeConfig;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.DecoderFactory;

/*
 * AvroWrite REGISTRY-URL TOPIC SCHEMA-FILE < values
 *
 * Reads values in Avro's JSON encoding, one a line, with Apache Avro's
 * own JSON decoder, serializes each with Apicurio Registry's Kafka
 * serializer in Confluent's framing (the schema registered by the
 * serializer through the registry's own API), and prints each message in
 * base64, one a line.
 */
public class AvroWrite {
	public static void main(String[] args) throws Exception {
		Schema schema = new Schema.Parser().parse(Files.readString(Path.of(args[2])));
		Map<String, Object> conf = new HashMap<>();
		conf.put(SerdeConfig.REGISTRY_URL, args[0]);
		conf.put(SerdeConfig.AUTO_REGISTER_ARTIFACT, true);
		conf.put(SerdeConfig.ENABLE_CONFLUENT_ID_HANDLER, true);
		conf.put(SerdeConfig.ENABLE_HEADERS, false);
		conf.put(SerdeConfig.USE_ID, "contentId");
		try (AvroKafkaSerializer<GenericRecord> ser = new AvroKafkaSerializer<>()) {
			ser.configure(conf, false);
			GenericDatumReader<GenericRecord> reader = new GenericDatumReader<>(schema);
			BufferedReader in = new BufferedReader(
			    new InputStreamReader(System.in, StandardCharsets.UTF_8));
			String line;
			while ((line = in.readLine()) != null) {
				GenericRecord r = reader.read(null,
				    DecoderFactory.get().jsonDecoder(schema, line));
				byte[] msg = ser.serialize(args[1], r);
				System.out.println(Base64.getEncoder().encodeToString(msg));
			}
		}
	}
}
