/*
 * telco-gen: synthetic telecom data with labelled fraud.
 *
 * Writes the five system-of-record tables and the six event streams as CSV,
 * the injected fraud scenarios and near misses as ground truth, optionally a
 * timed script of database changes, and a manifest; deterministically for a
 * seed. See telco-gen(1).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gen.h"
#include "util.h"

static const char *const stream_files[NSTREAM] = {
	"telecom-cdr.csv", "telecom-sdr.csv", "telecom-location.csv",
	"telecom-security.csv", "telecom-service.csv",
};
static const char *const stream_headers[NSTREAM] = {
	"cdr_id,customer_id,msisdn,other_msisdn,direction,call_type,start_time,"
	"duration_s,answered,cell_id,imei,imsi,destination_country,roaming,"
	"visited_country,charge\n",
	"sdr_id,customer_id,imsi,msisdn,event_time,event_type,protocol,cell_id,"
	"result_code\n",
	"customer_id,msisdn,event_time,cell_id,latitude,longitude,country\n",
	"event_id,customer_id,event_time,event_type,imei,imsi,source_ip,channel\n",
	"usage_id,customer_id,event_time,service_type,service_name,amount,units\n",
};

static void
usage_to(FILE *fp)
{
	fprintf(fp,
	    "usage: telco-gen [--seed N] [--customers N] [--days D] [--start TIME]\n"
	    "                 [--fraud-rate F] [--near-miss-rate F] [--scenarios LIST]\n"
	    "                 [--changes FILE] -o DIR\n"
	    "       telco-gen -h | --help | --version\n");
}

static void
usage(void)
{
	usage_to(stderr);
	exit(EX_USAGE);
}

static double
parse_rate(const char *opt, const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0 && v <= 1)) {
		weprintf("%s: not a fraction between 0 and 1: %s", opt, s);
		usage();
	}
	return v;
}

static long long
parse_num_opt(const char *opt, const char *s, long long lo, long long hi)
{
	long long v = parse_count(s);

	if (v < lo || v > hi) {
		weprintf("%s: not a number from %lld to %lld: %s", opt, lo, hi, s);
		usage();
	}
	return v;
}

static unsigned
parse_rules(const char *s)
{
	unsigned mask = 0;
	char *copy = xstrdup(s), *tok, *save = NULL;

	if (strcmp(s, "all") == 0) {
		free(copy);
		return (1u << NRULE) - 1;
	}
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int i = gen_rule_index(tok);

		if (i < 0) {
			weprintf("--scenarios: unknown scenario: %s", tok);
			fprintf(stderr, "telco-gen: scenarios are:");
			for (int k = 0; k < NRULE; k++)
				fprintf(stderr, " %s", gen_rule_names[k]);
			fputc('\n', stderr);
			free(copy);
			exit(EX_USAGE);
		}
		mask |= 1u << i;
	}
	free(copy);
	return mask;
}

static void
write_manifest(struct gen *g, const char *dir, const char *changes)
{
	static const char *const tables[5] = { "customer_profiles.csv",
		"device_information.csv", "payment_transactions.csv",
		"customer_behavior.csv", "complaints_feedback.csv" };
	struct gout o;
	char buf[64];
	int first = 1;

	gout_open(&o, dir, "manifest.json");
	gout_s(&o, "{\"generator\":\"telco-gen\",\"version\":\"" TP_VERSION "\",\"seed\":");
	gout_u(&o, g->seed);
	gout_s(&o, ",\"customers\":");
	gout_u(&o, g->ncust);
	gout_s(&o, ",\"days\":");
	gout_u(&o, (unsigned)g->days);
	gout_s(&o, ",\"start\":\"");
	gout_time(&o, g->start);
	gout_s(&o, "\",\"end\":\"");
	gout_time(&o, g->end);
	snprintf(buf, sizeof buf, "\",\"fraud_rate\":%.6g,\"near_miss_rate\":%.6g",
	    g->fraud_rate, g->near_rate);
	gout_s(&o, buf);
	gout_s(&o, ",\"scenarios\":[");
	for (int i = 0; i < NRULE; i++)
		if (g->rules & (1u << i)) {
			gout_s(&o, first ? "\"" : ",\"");
			gout_s(&o, gen_rule_names[i]);
			gout_c(&o, '"');
			first = 0;
		}
	gout_s(&o, "],\"rows\":{");
	for (int i = 0; i < 5; i++) {
		gout_c(&o, '"');
		gout_s(&o, tables[i]);
		gout_s(&o, "\":");
		gout_u(&o, g->tablerows[i]);
		gout_c(&o, ',');
	}
	for (int i = 0; i < NSTREAM; i++) {
		gout_c(&o, '"');
		gout_s(&o, stream_files[i]);
		gout_s(&o, "\":");
		gout_u(&o, g->out[i].rows);
		gout_c(&o, ',');
	}
	gout_s(&o, "\"telecom-network.csv\":");
	gout_u(&o, g->net.rows);
	gout_s(&o, ",\"ground-truth.jsonl\":");
	gout_u(&o, g->truth.rows);
	gout_s(&o, "},\"changes\":");
	if (changes != NULL) {
		gout_c(&o, '{');
		gout_s(&o, "\"rows\":");
		gout_u(&o, g->next_change);
		gout_c(&o, '}');
	} else
		gout_s(&o, "null");
	gout_s(&o, "}\n");
	gout_close(&o);
}

int
main(int argc, char *argv[])
{
	enum { O_SEED = 256, O_CUSTOMERS, O_DAYS, O_START, O_FRAUD, O_NEAR,
		O_SCEN, O_CHANGES, O_VERSION };
	static const struct option longopts[] = {
		{ "changes", required_argument, NULL, O_CHANGES },
		{ "customers", required_argument, NULL, O_CUSTOMERS },
		{ "days", required_argument, NULL, O_DAYS },
		{ "fraud-rate", required_argument, NULL, O_FRAUD },
		{ "help", no_argument, NULL, 'h' },
		{ "near-miss-rate", required_argument, NULL, O_NEAR },
		{ "output", required_argument, NULL, 'o' },
		{ "scenarios", required_argument, NULL, O_SCEN },
		{ "seed", required_argument, NULL, O_SEED },
		{ "start", required_argument, NULL, O_START },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct gen g = { 0 };
	const char *dir = NULL, *changes = NULL;
	int ch, near_set = 0, progress;
	long long start;
	struct stat st;

	setprogname(argv[0]);
	g.seed = 1;
	g.ncust = 1000;
	g.days = 1;
	g.fraud_rate = 0.01;
	g.rules = (1u << NRULE) - 1;
	gen_parse_time("2026-11-01", &start);
	while ((ch = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			usage_to(stdout);
			exit(fshut(stdout, "standard output"));
		case 'o':
			dir = optarg;
			break;
		case O_CHANGES:
			changes = optarg;
			break;
		case O_CUSTOMERS:
			g.ncust = (uint32_t)parse_num_opt("--customers", optarg, 1, 10000000);
			break;
		case O_DAYS:
			g.days = (int)parse_num_opt("--days", optarg, 1, 3660);
			break;
		case O_FRAUD:
			g.fraud_rate = parse_rate("--fraud-rate", optarg);
			break;
		case O_NEAR:
			g.near_rate = parse_rate("--near-miss-rate", optarg);
			near_set = 1;
			break;
		case O_SCEN:
			g.rules = parse_rules(optarg);
			break;
		case O_SEED:
			if (parse_count(optarg) < 0) {
				weprintf("--seed: not a non-negative number: %s", optarg);
				usage();
			}
			g.seed = (uint64_t)parse_count(optarg);
			break;
		case O_START:
			if (gen_parse_time(optarg, &start) != 0) {
				weprintf("--start: not a UTC date or time "
				    "(YYYY-MM-DD[THH:MM:SSZ]): %s", optarg);
				usage();
			}
			break;
		case O_VERSION:
			printf("telco-gen %s\n", TP_VERSION);
			return fshut(stdout, "standard output");
		default:
			usage();
		}
	}
	if (optind != argc) {
		weprintf("unexpected argument: %s", argv[optind]);
		usage();
	}
	if (dir == NULL) {
		weprintf("no output folder: give -o DIR");
		usage();
	}
	if (!near_set)
		g.near_rate = g.fraud_rate;
	g.start = start - ((start % 86400) + 86400) % 86400;
	g.end = g.start + (int64_t)g.days * 86400;
	g.changes = changes != NULL;

	/* open everything first (the change script may be in DIR) */
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		die(EX_CANTCREAT, "%s:", dir);
	if (stat(dir, &st) != 0)
		die(EX_CANTCREAT, "%s:", dir);
	if (!S_ISDIR(st.st_mode))
		die(EX_CANTCREAT, "%s: not a folder", dir);
	if (changes != NULL)
		gout_open(&g.changes_out, NULL, changes);
	for (int i = 0; i < NSTREAM; i++) {
		gout_open(&g.out[i], dir, stream_files[i]);
		gout_s(&g.out[i], stream_headers[i]);
	}
	gout_open(&g.net, dir, "telecom-network.csv");
	gout_s(&g.net, "cell_id,event_time,cpu_load,call_drop_rate,latency_ms,"
	    "throughput_mbps,active_subscribers\n");
	gout_open(&g.truth, dir, "ground-truth.jsonl");

	gen_world_init(&g);
	gen_customers_init(&g);
	gen_scen_plan(&g);
	gen_write_tables(&g, dir);
	progress = isatty(STDERR_FILENO) && g.days > 1;
	for (int d = 0; d < g.days; d++) {
		if (progress)
			fprintf(stderr, "\rtelco-gen: day %d of %d", d + 1, g.days);
		gen_day(&g, d);
	}
	if (progress)
		fputc('\n', stderr);
	gen_write_truth(&g);
	for (int i = 0; i < NSTREAM; i++)
		gout_close(&g.out[i]);
	gout_close(&g.net);
	gout_close(&g.truth);
	if (changes != NULL)
		gout_close(&g.changes_out);
	write_manifest(&g, dir, changes);
	gen_free(&g);
	return 0;
}
