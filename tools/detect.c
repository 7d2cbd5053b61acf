/*
 * detect: fraud rules over enriched events; alerts (or tagged events) out.
 *
 *   detect -r rules/telecom.rules enriched.jsonl >alerts.jsonl
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#ifdef TP_MIMALLOC
#include <mimalloc.h>
#endif
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "lineio.h"
#include "rules.h"
#include "rules_run.h"
#include "stats.h"
#include "util.h"

static volatile sig_atomic_t got_stop, got_hup, got_usr1;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_stop = 1;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: detect -r rules [-cptu] [-a alerts] [-d dead-letter] "
	    "[-e max-errors]\n"
	    "              [-S stream] [-s state] [--lateness duration] "
	    "[--max-line size]\n"
	    "              [--max-per-key count] [--state-interval duration]\n"
	    "              [--stats-file file] [--stats-interval duration] "
	    "[file ...]\n");
	exit(EX_USAGE);
}

static void
help(void)
{
	printf("usage: detect -r rules [options] [file ...]\n"
	    "Run fraud rules over enriched JSONL events; write alerts as JSONL.\n\n"
	    "  -r, --rules FILE            the rules file (detect.rules(5))\n"
	    "  -c, --check                 check the rules file and exit\n"
	    "  -t, --tag                   pass every event through with \"rules\":[...]\n"
	    "  -a, --alerts FILE           with -t: append the alerts to FILE as well\n"
	    "  -S, --stream NAME           stream of events without _kafka.topic\n"
	    "  -s, --state FILE            load window state at start, save it at exit\n"
	    "      --barrier-ack FILE      with -s: commit a state once the sink whose\n"
	    "                              checkpoint FILE is has passed its barrier\n"
	    "      --barrier-wait DUR      at exit, wait this long for the sinks (30s)\n"
	    "      --drain                 with -s: write what is held at the input's end\n"
	    "      --state-interval DUR    also save it this often (default 60s)\n"
	    "      --lateness DUR          accept events this late (overrides the file)\n"
	    "      --max-per-key N         events kept per key and rule (100000)\n"
	    "  -d, --dead-letter FILE      append rejected lines to FILE\n"
	    "  -e, --max-errors N          exit 65 after more than N bad lines\n"
	    "      --max-line SIZE         longest line accepted (16M)\n"
	    "  -p, --print-rules           list the rules loaded and exit\n"
	    "  -u, --unbuffered            flush after each output line\n"
	    "      --stats-interval DUR    statistics on stderr this often\n"
	    "      --stats-file FILE       statistics as a Prometheus text file\n"
	    "  -h, --help                  this help\n"
	    "  -V, --version               the version\n");
	exit(0);
}

static struct engine *en;
static struct buf out, aout;	/* standard output; the alerts file (-a) */
static FILE *afp;
static const char *alerts_path;
static unsigned long long nbad, nfrag, nlines;
static const char *stats_file;

static void
write_buf(struct buf *b, FILE *fp, const char *name, int unbuffered)
{
	if (b->len == 0)
		return;
	if (fwrite(b->p, 1, b->len, fp) != b->len)
		file_check(fp, name);
	buf_reset(b);
	if (unbuffered && fflush(fp) == EOF)
		file_check(fp, name);
	file_check(fp, name);
}

/* What is buffered for standard output, and for the alerts file. */
static void
write_out(int unbuffered)
{
	write_buf(&out, stdout, "standard output", unbuffered);
	if (afp != NULL)
		write_buf(&aout, afp, alerts_path, unbuffered);
}

/*
 * Barriers (--barrier-ack): at each save the state goes to STATE.pending,
 * and a barrier record {"_barrier":N} follows on standard output and in
 * the alerts file everything written before it. A sink (ch-insert -c)
 * that has made all that durable writes N as "barrier" in its checkpoint.
 * Once every sink's checkpoint holds N or more, STATE.pending becomes
 * STATE: the state a restart loads is one whose output is stored, and
 * the positions in it are where its input resumes (consume --resume).
 */
#define MAX_ACKS 8
static const char *acks[MAX_ACKS];
static int nacks;
static const char *state_path;
static char *pending_path;
static long long pending_n;	/* the barrier of STATE.pending; 0: none */
static unsigned long long nbarriers;
static long long barrier_wait = 30000;	/* at exit, for the sinks (ms) */
static FILE *dl;		/* -d */
static const char *dl_path;

/* The "barrier" member of a JSON file (a checkpoint, a state); 0 when the
 * file or the member is missing or the file does not parse. */
static long long
barrier_of(const char *path)
{
	json_t *root, *b;
	long long n = 0;

	if ((root = json_load_file(path, JSON_DISABLE_EOF_CHECK, NULL)) == NULL)
		return 0;
	b = json_object_get(root, "barrier");
	if (json_is_integer(b) && json_integer_value(b) > 0)
		n = json_integer_value(b);
	json_decref(root);
	return n;
}

/*
 * The lowest barrier the sinks have passed. A checkpoint is read again
 * only when it was replaced (sinks replace theirs by rename), so that
 * this is cheap enough to ask often.
 */
static long long
acks_min(void)
{
	static struct ackfile {
		dev_t dev;
		ino_t ino;
		off_t size;
		struct timespec mtim;
		long long n;
	} af[MAX_ACKS];
	long long m = -1;
	struct stat sb;

	for (int i = 0; i < nacks; i++) {
		struct ackfile *a = &af[i];
		if (stat(acks[i], &sb) < 0) {
			memset(a, 0, sizeof(*a));
		} else if (sb.st_dev != a->dev || sb.st_ino != a->ino ||
		    sb.st_size != a->size || sb.st_mtim.tv_sec != a->mtim.tv_sec ||
		    sb.st_mtim.tv_nsec != a->mtim.tv_nsec) {
			a->dev = sb.st_dev;
			a->ino = sb.st_ino;
			a->size = sb.st_size;
			a->mtim = sb.st_mtim;
			a->n = barrier_of(acks[i]);
		}
		if (a->n < m || m < 0)
			m = a->n;
	}
	return m < 0 ? 0 : m;
}

/* STATE.pending becomes STATE once every sink passed its barrier. */
static void
try_commit(void)
{
	if (pending_n == 0 || acks_min() < pending_n)
		return;
	if (rename(pending_path, state_path) < 0) {
		weprintf("%s: %s", pending_path, strerror(errno));
		return;
	}
	pending_n = 0;
}

/* Wait up to ms for the sinks to pass the pending barrier. */
static void
await_commit(long long ms)
{
	long long t0 = mono_ms();

	for (try_commit(); pending_n && !(mono_ms() - t0 >= ms); try_commit())
		usleep(20000);
}

static void
stats(void)
{
	struct engine_stats st;
	struct metric m[11];

	engine_stats(en, &st);
	m[0] = (struct metric){ "lines_in", "lines read", STAT_COUNTER, nlines };
	m[1] = (struct metric){ "events_in", "events evaluated", STAT_COUNTER, st.events };
	m[2] = (struct metric){ "rejected", "bad lines", STAT_COUNTER, nbad };
	m[3] = (struct metric){ "late", "events too late for windows", STAT_COUNTER, st.late };
	m[4] = (struct metric){ "fired", "rule firings", STAT_COUNTER, st.fired };
	m[5] = (struct metric){ "alerts_out", "alerts written", STAT_COUNTER, st.alerts };
	m[6] = (struct metric){ "active_keys", "keys with window state", STAT_GAUGE, st.keys };
	m[7] = (struct metric){ "window_events", "events kept in windows", STAT_GAUGE, st.entries };
	m[8] = (struct metric){ "skipped", "events at or below the state's positions", STAT_COUNTER, st.skipped };
	m[9] = (struct metric){ "barriers", "barriers written", STAT_COUNTER, nbarriers };
	m[10] = (struct metric){ "fragments", "last lines of a pipe cut short by its writer", STAT_COUNTER, nfrag };
	stats_print("detect", m, 11);
	if (stats_file && stats_write_prom(stats_file, "detect", m, 11) < 0)
		weprintf("%s:", stats_file);
}

/*
 * Save the state: in place, or with barriers as STATE.pending followed by
 * a barrier record, unless the last one still waits for the sinks (then
 * none until the next interval). -1 with err.
 */
static int
save(char *err, size_t errlen)
{
	/* a state past a line rejected has it in the dead letters */
	if (dl && (fflush(dl) == EOF || fsync(fileno(dl)) < 0)) {
		snprintf(err, errlen, "%s: %s", dl_path, strerror(errno));
		return -1;
	}
	if (nacks == 0)
		return engine_save(en, state_path, err, errlen);
	try_commit();
	if (pending_n)
		return 0;
	engine_set_barrier(en, engine_barrier(en) + 1);
	if (engine_save(en, pending_path, err, errlen) < 0)
		return -1;
	pending_n = engine_barrier(en);
	nbarriers++;
	buf_printf(&out, "{\"_barrier\":%lld}\n", pending_n);
	if (afp != NULL)
		buf_printf(&aout, "{\"_barrier\":%lld}\n", pending_n);
	write_out(1);
	return 0;
}

/*
 * At start with barriers: the pending state of the last run is committed
 * when every sink passed its barrier, else dropped.
 */
static void
barriers_start(void)
{
	long long pb;

	pending_path = xasprintf("%s.pending", state_path);
	if (access(pending_path, F_OK) == 0) {
		pb = barrier_of(pending_path);
		if (pb > 0 && acks_min() >= pb) {
			if (rename(pending_path, state_path) < 0)
				die(EX_CANTCREAT, "%s: %s", pending_path,
				    strerror(errno));
		} else if (unlink(pending_path) < 0) {
			die(EX_CANTCREAT, "%s: %s", pending_path, strerror(errno));
		}
	}
}

/* After the state is loaded: the next barrier is above all seen. */
static void
barriers_start_number(void)
{
	long long m = engine_barrier(en), n;

	for (int i = 0; i < nacks; i++)
		if ((n = barrier_of(acks[i])) > m)
			m = n;
	engine_set_barrier(en, m);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "alerts", required_argument, NULL, 'a' },
		{ "barrier-ack", required_argument, NULL, 'A' },
		{ "barrier-wait", required_argument, NULL, 'W' },
		{ "drain", no_argument, NULL, 'D' },
		{ "check", no_argument, NULL, 'c' },
		{ "dead-letter", required_argument, NULL, 'd' },
		{ "max-errors", required_argument, NULL, 'e' },
		{ "help", no_argument, NULL, 'h' },
		{ "lateness", required_argument, NULL, 'L' },
		{ "max-line", required_argument, NULL, 'M' },
		{ "max-per-key", required_argument, NULL, 'K' },
		{ "print-rules", no_argument, NULL, 'p' },
		{ "rules", required_argument, NULL, 'r' },
		{ "stream", required_argument, NULL, 'S' },
		{ "state", required_argument, NULL, 's' },
		{ "state-interval", required_argument, NULL, 'I' },
		{ "stats-file", required_argument, NULL, 'F' },
		{ "stats-interval", required_argument, NULL, 'i' },
		{ "tag", no_argument, NULL, 't' },
		{ "unbuffered", no_argument, NULL, 'u' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *rules_path = NULL;
	long long max_errors = -1, max_line = LINE_MAX_DEFAULT, lateness = -1;
	long long state_iv = 60000, stats_iv = 0, max_per_key = 100000;
	int check = 0, print = 0, unbuffered = 0, drain = 0, ch, status = 0;
	struct engine_opts eo = { 0 };
	struct rules *rs;
	char err[512];

	setprogname(argv[0]);
#ifdef TP_MIMALLOC
	/*
	 * Most of detect's memory is window state read at random, one key
	 * after another: in 2 MiB pages, where the system gives them, most
	 * of its TLB misses are gone. The environment's choice stands.
	 */
	if (getenv("MIMALLOC_LARGE_OS_PAGES") == NULL)
		mi_option_enable(mi_option_large_os_pages);
#endif
	while ((ch = getopt_long(argc, argv, "a:cd:e:hpr:S:s:tuV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a': alerts_path = optarg; break;
		case 'A':
			if (nacks == MAX_ACKS)
				die(EX_USAGE, "more than %d --barrier-ack", MAX_ACKS);
			acks[nacks++] = optarg;
			break;
		case 'D': drain = 1; break;
		case 'W':
			if ((barrier_wait = parse_duration_ms(optarg)) < 0)
				die(EX_USAGE, "bad --barrier-wait: %s", optarg);
			break;
		case 'c': check = 1; break;
		case 'd': dl_path = optarg; break;
		case 'e':
			if ((max_errors = parse_count(optarg)) < 0)
				die(EX_USAGE, "bad --max-errors: %s", optarg);
			break;
		case 'F': stats_file = optarg; break;
		case 'h': help(); break;
		case 'I':
			if ((state_iv = parse_duration_ms(optarg)) < 0)
				die(EX_USAGE, "bad --state-interval: %s", optarg);
			break;
		case 'i':
			if ((stats_iv = parse_duration_ms(optarg)) < 0)
				die(EX_USAGE, "bad --stats-interval: %s", optarg);
			break;
		case 'K':
			if ((max_per_key = parse_count(optarg)) <= 0)
				die(EX_USAGE, "bad --max-per-key: %s", optarg);
			break;
		case 'L':
			if ((lateness = parse_duration_ms(optarg)) < 0)
				die(EX_USAGE, "bad --lateness: %s", optarg);
			break;
		case 'M':
			if ((max_line = parse_size(optarg)) <= 0)
				die(EX_USAGE, "bad --max-line: %s", optarg);
			break;
		case 'p': print = 1; break;
		case 'r': rules_path = optarg; break;
		case 'S': eo.default_stream = optarg; break;
		case 's': state_path = optarg; break;
		case 't': eo.tag = 1; break;
		case 'u': unbuffered = 1; break;
		case 'V':
			printf("detect %s\n", TP_VERSION);
			exit(fshut(stdout, "standard output"));
		default: usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (rules_path == NULL) {
		weprintf("no rules file (-r)");
		usage();
	}
	if (alerts_path && !eo.tag) {
		weprintf("--alerts goes with --tag (without it alerts are the output)");
		usage();
	}
	if ((nacks || drain) && state_path == NULL) {
		weprintf("--%s goes with --state", nacks ? "barrier-ack" : "drain");
		usage();
	}
	if ((rs = rules_load(rules_path, err, sizeof(err))) == NULL)
		die(EX_CONFIG, "%s", err);
	if (lateness >= 0)
		rs->lateness = lateness / 1000.0;
	if (check) {
		rules_free(rs);
		return 0;
	}
	if (print) {
		for (int i = 0; i < rs->n; i++)
			printf("%s\t%s\t%s\n", rs->r[i].name, rs->r[i].severity,
			    rs->r[i].seq_a ? "sequence" : rs->r[i].stateful ?
			    "window" : "stateless");
		rules_free(rs);
		return fshut(stdout, "standard output");
	}
	/* open everything first */
	struct lreader *in = xcalloc(argc ? argc : 1, sizeof(*in));
	int nin = argc ? argc : 1;
	for (int i = 0; i < nin; i++)
		if (lr_open(&in[i], argc ? argv[i] : "-", max_line) < 0 ||
		    lr_map(&in[i]) < 0)
			die(EX_NOINPUT, "%s:", argv[i]);
	if (dl_path && (dl = fopen(dl_path, "a")) == NULL)
		die(EX_CANTCREAT, "%s:", dl_path);
	if (alerts_path && (afp = fopen(alerts_path, "a")) == NULL)
		die(EX_CANTCREAT, "%s:", alerts_path);
	eo.max_per_key = max_per_key;
	eo.state = state_path != NULL;
	en = engine_new(rs, &eo);
	if (nacks)
		barriers_start();
	if (state_path && engine_load(en, state_path, err, sizeof(err)) < 0)
		die(EX_DATAERR, "%s", err);
	if (nacks)
		barriers_start_number();
	buf_init(&out);
	buf_init(&aout);
	if (afp != NULL)
		engine_alerts_to(en, &aout);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	if (!unbuffered && isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOLBF, 0);

	long long last_state = mono_ms(), last_stats = mono_ms();
	for (int i = 0; i < nin && !got_stop && status == 0; i++) {
		struct lreader *r = &in[i];
		char *line;
		size_t len;
		int rc;

		for (;;) {
			rc = lr_next(r, &line, &len);
			if (got_hup) {
				struct rules *nrs;
				got_hup = 0;
				if ((nrs = rules_load(rules_path, err,
				    sizeof(err))) == NULL) {
					weprintf("%s (keeping the rules loaded)", err);
				} else {
					if (lateness >= 0)
						nrs->lateness = lateness / 1000.0;
					engine_reload(en, nrs, &out);
					weprintf("%s: %d rules reloaded", rules_path,
					    nrs->n);
				}
			}
			if (got_usr1) {
				got_usr1 = 0;
				stats();
			}
			if (rc == LR_EOF)
				break;
			if (rc == LR_ERROR) {
				if (errno == EINTR && got_stop)
					break;
				if (errno == EINTR) {
					clearerr(r->fp);
					continue;
				}
				if (r->why)
					weprintf("%s:%llu: %s", r->name,
					    r->lineno + 1, r->why);
				else
					weprintf("%s:", r->name);
				status = EX_IOERR;
				break;
			}
			nlines++;
			const char *why = NULL;
			if (rc == LR_TOOLONG)
				why = "line too long";
			else if (engine_event(en, line, len, &out, &why) == 0)
				why = NULL;
			if (why && rc == LR_OK && lr_fragment(r, line, len)) {
				/* not a record: said, and 74 at the end */
				nfrag++;
				fragment_warn(r->name, r->lineno, len);
			} else if (why) {
				nbad++;
				weprintf("%s:%llu: %s", r->name, r->lineno, why);
				if (dl && (fwrite(line, 1, len, dl) != len ||
				    fputc('\n', dl) == EOF)) {
					weprintf("%s:", dl_path);
					status = EX_IOERR;
					break;
				}
				if (max_errors >= 0 &&
				    nbad > (unsigned long long)max_errors) {
					weprintf("more than %lld bad lines", max_errors);
					status = EX_DATAERR;
					break;
				}
			}
			if (out.len >= 65536 || aout.len >= 65536 || unbuffered)
				write_out(unbuffered);
			if ((nlines & 63) == 0) {
				try_commit();
				if (state_path && stats_due(&last_state, state_iv) &&
				    save(err, sizeof(err)) < 0)
					weprintf("%s", err);
				if (stats_iv > 0 && stats_due(&last_stats, stats_iv))
					stats();
			}
			if (got_stop)
				break;
		}
	}
	if (nfrag && status == 0)
		status = EX_IOERR;
	/* at the end of input alerts held for suppression come out, unless
	 * the state file carries them to the next run; with --drain at the
	 * end of the input but not on a signal (a leg stopping at a failure) */
	if (!state_path || (drain && !got_stop && status == 0))
		engine_flush(en, &out);
	write_out(0);
	int closed = 0;
	if (nacks) {
		/* the last state with its barrier; the sinks pass it once
		 * their input ends. Stopped by a signal, the sinks are likely
		 * stopping too: a second at most. */
		if (got_stop && barrier_wait > 1000)
			barrier_wait = 1000;
		await_commit(barrier_wait);
		if (pending_n == 0 && save(err, sizeof(err)) < 0) {
			weprintf("%s", err);
			if (status == 0)
				status = EX_IOERR;
		}
		closed = 1;
		if (fshut(stdout, "standard output") && status == 0)
			status = EX_IOERR;
		if (afp != NULL && fshut(afp, alerts_path) && status == 0)
			status = EX_IOERR;
		await_commit(barrier_wait);
		if (pending_n)
			weprintf("%s: barrier %lld not passed by every sink in "
			    "time: the next run starts from the state before it",
			    pending_path, pending_n);
	} else if (state_path && save(err, sizeof(err)) < 0) {
		weprintf("%s", err);
		if (status == 0)
			status = EX_IOERR;
	}
	if (stats_iv > 0 || stats_file)
		stats();
	for (int i = 0; i < nin; i++)
		lr_close(&in[i]);
	free(in);
	/*
	 * Millions of window events take seconds to free one by one, and
	 * the exit gives them back at once (en still points at them). A
	 * sanitizer build frees them, to check engine_free.
	 */
#ifdef __SANITIZE_ADDRESS__
	engine_free(en);
	en = NULL;
#endif
	buf_free(&out);
	buf_free(&aout);
	if (!closed && afp != NULL && fshut(afp, alerts_path) && status == 0)
		status = EX_IOERR;
	if (dl && fclose(dl) == EOF && status == 0) {
		weprintf("%s:", dl_path);
		status = EX_IOERR;
	}
	if (!closed && fshut(stdout, "standard output") && status == 0)
		status = EX_IOERR;
	free(pending_path);
	return status;
}
