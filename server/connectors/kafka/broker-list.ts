// What a Kafka broker list looks like: "host:port" entries separated by commas. Browser-safe (no
// kafkajs), so the node's form, the Sources form and the connection code check it with one pattern.

const BROKER = String.raw`[A-Za-z0-9.\-_[\]:]+:\d{1,5}`;

/** One broker, "host:port". */
export const BROKER_PATTERN = new RegExp(`^${BROKER}$`);
/** One or more brokers separated by commas, spaces allowed around each. */
export const BROKER_LIST_PATTERN = new RegExp(`^\\s*${BROKER}\\s*(,\\s*${BROKER}\\s*)*$`);
export const BROKER_LIST_MESSAGE = "Enter brokers as host:port, separated by commas, e.g. kafka-1.example.com:9092";
