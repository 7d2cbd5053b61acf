/*
 * gen_scen.c: injected fraud scenarios and their near misses, the changes
 * to the databases during a run, and the ground truth.
 *
 * A scenario belongs to one customer. It is planned once (time, sizes,
 * what normal life of that customer it silences so that a near miss stays
 * under its threshold), then its generator runs again on every day it
 * touches and keeps the events of that day: the same random numbers each
 * time, so the events are the same whatever the day.
 */
#include "gen.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

const char *const gen_rule_names[NRULE] = {
	"subscription_fraud", "new_account_abuse", "wangiri", "simbox", "irsf",
	"impossible_travel", "sim_swap_takeover", "imei_mismatch",
	"roaming_spike", "premium_rate_abuse", "payment_risk",
	"auth_failure_burst",
};

static const char *const stream_topics[NSTREAM] = {
	"telecom-cdr", "telecom-sdr", "telecom-location", "telecom-security",
	"telecom-service",
};

int
gen_rule_index(const char *name)
{
	for (int i = 0; i < NRULE; i++)
		if (strcmp(gen_rule_names[i], name) == 0)
			return i;
	return -1;
}

#define HOUR 3600
#define DAY 86400

static const char *const high_risk[] = { "CU", "SO", "SL", "GN", "LR", "GM",
	"TD", "ST", "MH", "TV", "NR", "TO", "PG", "ER", "KM", "LV", "LT", "BA" };
static const char *const abroad_callees[] = { "TR", "US", "GB", "RU", "AE",
	"PL", "TH" };

/* ---- the context a generator runs in ---- */

struct sctx {
	struct gen *g;
	struct scen *s;
	uint32_t si;
	int emit;		/* 0: planning (times, evidence); 1: the day's events */
	struct rng r;
};

static struct ev scratch;

/*
 * An event of the scenario at t: NULL when t is outside the run (the event
 * does not exist); otherwise a record to fill (a scratch one unless it
 * belongs to the day being made).
 */
static struct ev *
sev(struct sctx *x, int st, int64_t t, int kind)
{
	struct gen *g = x->g;
	struct ev *e;

	if (t < g->start || t >= g->end)
		return NULL;
	if (!x->emit) {
		if (x->s->t_first == 0 || t < x->s->t_first)
			x->s->t_first = t;
		if (t > x->s->t_last)
			x->s->t_last = t;
	}
	if (!x->emit || t < g->day0 || t >= g->day0 + DAY) {
		memset(&scratch, 0, sizeof scratch);
		return &scratch;
	}
	e = gen_push(g, st, t, kind, x->s->cust);
	e->scen = x->si + 1;
	return e;
}

/* A change to a database at t (the sql is taken over). */
static void
schg(struct sctx *x, int64_t t, const char *db, const char *kind, char *sql)
{
	struct gen *g = x->g;

	if (t >= g->start && t < g->end && !x->emit) {
		x->s->t_change = t;
		if (x->s->t_first == 0 || t < x->s->t_first)
			x->s->t_first = t;
	}
	if (x->emit && g->changes && t >= g->day0 && t < g->day0 + DAY && t < g->end)
		gen_add_change(g, t, x->si + 1, x->s->cust, db, kind, sql);
	else
		free(sql);
}

static int
cell_at(struct sctx *x, int64_t t)
{
	struct trip tr[2];
	int64_t d0 = x->g->start + (t - x->g->start) / DAY * DAY;
	int n = gen_trips(x->g, x->s->cust, d0, tr, 2);
	int c = gen_cell_at(x->g, x->s->cust, t, tr, n);

	return c >= 0 ? c : (int)x->g->cust[x->s->cust].home;
}

static int
city_cell(struct sctx *x, int city)
{
	return gen_cities[city].cell0 + (int)rng_below(&x->r, (uint32_t)gen_cities[city].ncell);
}

static int
city_named(const char *name)
{
	for (int i = 0; i < gen_ncities; i++)
		if (strcmp(gen_cities[i].name, name) == 0)
			return i;
	return 0;
}

/* A voice call of a scenario, with its call setup; returns the CDR or NULL. */
static struct ev *
scall(struct sctx *x, int64_t t, int mo, int dest, uint32_t rnd, uint32_t dur,
    uint32_t charge, uint32_t flags, int cell)
{
	struct ev *e = sev(x, ST_CDR, t, mo ? K_VOICE_MO : K_VOICE_MT), *s;

	if (e == NULL)
		return NULL;
	e->rnd = rnd;
	e->a = dur;
	e->b = charge | (uint32_t)dest << 20 | flags;
	e->cell = (uint32_t)cell;
	s = sev(x, ST_SDR, t, K_CALLSETUP);
	s->b = 2;
	s->cell = (uint32_t)cell;
	return e;
}

static struct ev *
ssvc(struct sctx *x, int64_t t, int kind, uint32_t cents, uint32_t units, uint32_t name)
{
	struct ev *e = sev(x, ST_SVC, t, kind);

	if (e == NULL)
		return NULL;
	e->a = cents;
	e->b = units;
	e->rnd = name;
	return e;
}

static struct ev *
sloc(struct sctx *x, int64_t t, int cell, int kind)
{
	struct ev *e = sev(x, ST_LOC, t, 0), *s;

	if (e == NULL)
		return NULL;
	e->cell = (uint32_t)cell;
	s = sev(x, ST_SDR, t, kind);
	s->b = 1;
	s->cell = (uint32_t)cell;
	return e;
}

static void
sort64(int64_t *v, int n)
{
	for (int i = 1; i < n; i++) {
		int64_t k = v[i];
		int j = i - 1;

		for (; j >= 0 && v[j] > k; j--)
			v[j + 1] = v[j];
		v[j + 1] = k;
	}
}

static void
cust_id(char out[16], uint32_t c)
{
	snprintf(out, 16, "C%06u", c + 1);
}

/* ---- the rules ---- */

static void
subscription(struct sctx *x)
{
	struct scen *s = x->s;
	struct cust *cu = &x->g->cust[s->cust];
	long long target = s->near_miss ? (470 + rng_range(&x->r, 0, 25)) * 60 :
	    (510 + rng_range(&x->r, 0, 90)) * 60;
	long long total = 0, calls = 0;
	int64_t t = s->t0;
	int changed = s->variant == 0;

	while (total < target && t < x->g->end) {
		uint32_t dur = s->near_miss ? 60 * (uint32_t)rng_range(&x->r, 10, 25) :
		    (uint32_t)rng_range(&x->r, 600, 1500);
		int dest = rng_chance(&x->r, 0.6) ? 2 + gen_country_index(
		    abroad_callees[rng_below(&x->r, 7)]) : 1;
		uint32_t charge;

		if (total + dur > target && s->near_miss)
			dur = (uint32_t)(target - total);
		charge = dest >= 2 ? (dur + 59) / 60 * (uint32_t)gen_countries[dest - 2].call_cents : 0;
		if (scall(x, t, 1, dest, rng_u32(&x->r), dur, charge, B_ANS,
		    cell_at(x, t)) != NULL) {
			total += dur;
			calls++;
		}
		t += dur + rng_range(&x->r, 60, 900);
		if (!changed && total >= 400 * 60) {
			char id[16];
			int64_t at = t;

			cust_id(id, s->cust);
			schg(x, at, "crm", "credit_score_drop", xasprintf(
			    "UPDATE customer_profiles SET credit_score = %d WHERE "
			    "customer_id = '%s' AND credit_score <> %d",
			    s->extra[1], id, s->extra[1]));
			t = at + rng_range(&x->r, 60, 600);
			changed = 1;
		}
	}
	s->ev[0] = total;
	s->ev[1] = calls;
	(void)cu;
}

/* Charges of a burst: calls abroad and purchases, up to target cents. */
static long long
charge_burst(struct sctx *x, int64_t t, int64_t span, long long target, int exact,
    int svc_kind, int roaming_city)
{
	long long sum = 0;
	int64_t end = t + span;

	while (sum < target && t < end) {
		uint32_t amount, mins;
		struct ev *e;

		if (rng_chance(&x->r, 0.55)) {
			int dest = roaming_city >= 0 ? 1 : 2 + gen_country_index(
			    abroad_callees[rng_below(&x->r, 7)]);
			uint32_t rate = roaming_city >= 0 ? (uint32_t)rng_range(&x->r, 199, 299) :
			    (uint32_t)gen_countries[dest - 2].call_cents * 3;
			int cell = roaming_city >= 0 ? city_cell(x, roaming_city) : cell_at(x, t);

			mins = (uint32_t)rng_range(&x->r, 5, 25);
			if (exact && sum + mins * rate > target)
				mins = (uint32_t)((target - sum) / rate);
			if (mins == 0)
				goto purchase;
			amount = mins * rate;
			e = scall(x, t, 1, dest, rng_u32(&x->r), mins * 60, amount, B_ANS, cell);
			if (e != NULL)
				sum += amount;
			t += mins * 60 + rng_range(&x->r, 60, 1200);
			continue;
		}
purchase:
		amount = (uint32_t)rng_range(&x->r, 1500, 4500);
		if (exact && sum + amount > target)
			amount = (uint32_t)(target - sum);
		if (amount < 50)
			break;
		if (roaming_city >= 0) {
			/* a roaming data session */
			e = sev(x, ST_CDR, t, K_DATA);
			if (e != NULL) {
				e->a = (uint32_t)rng_range(&x->r, 300, 3600);
				e->b = amount | B_ANS;
				e->cell = (uint32_t)city_cell(x, roaming_city);
			}
		} else
			e = ssvc(x, t, svc_kind, amount, 1, rng_u32(&x->r));
		if (e != NULL)
			sum += amount;
		t += rng_range(&x->r, 300, 2400);
	}
	return sum;
}

static void
new_account(struct sctx *x)
{
	struct scen *s = x->s;
	long long target = s->near_miss ? rng_range(&x->r, 13000, 14800) :
	    rng_range(&x->r, 17000, 30000);

	s->ev[0] = charge_burst(x, s->t0, 7 * HOUR, target, s->near_miss, K_TOPUP, -1);
}

static void
wangiri(struct sctx *x)
{
	struct scen *s = x->s;
	int n = s->near_miss ? 29 : (int)rng_range(&x->r, 30, 60);
	int64_t w = s->near_miss ? rng_range(&x->r, 400, 560) : rng_range(&x->r, 240, 540);
	int64_t at[64];
	int cell = cell_at(x, s->t0), maxd = 0;

	at[0] = s->t0;
	at[n - 1] = s->t0 + w;
	for (int i = 1; i < n - 1; i++)
		at[i] = s->t0 + rng_range(&x->r, 0, w);
	sort64(at, n);
	s->ev[0] = 0;
	for (int i = 0; i < n; i++) {
		int ans = rng_chance(&x->r, 0.3);
		uint32_t dur = ans ? (uint32_t)rng_range(&x->r, 1, 3) : 0;

		if (scall(x, at[i], 1, 1, (uint32_t)i, dur, 0,
		    (ans ? B_ANS : 0) | B_DISTINCT, cell) != NULL) {
			s->ev[0]++;
			if ((int)dur > maxd)
				maxd = (int)dur;
		}
	}
	s->ev[1] = s->ev[0];
	s->ev[2] = w;
	s->ev[3] = maxd;
}

static void
simbox(struct sctx *x)
{
	struct scen *s = x->s;
	int n = s->near_miss ? 99 : (int)rng_range(&x->r, 150, 300);
	int nmt = (int)rng_range(&x->r, 0, s->near_miss ? 2 : 3);
	int pool = s->near_miss ? 99 : (n * 85 / 100 > 90 ? n * 85 / 100 : 90);
	int64_t *at = xmalloc((size_t)(n + nmt) * sizeof *at);
	char *seen = xcalloc((size_t)pool, 1);

	for (int i = 0; i < n + nmt; i++)
		at[i] = s->t0 + rng_range(&x->r, 0, 20 * HOUR);
	sort64(at, n + nmt);
	s->ev[0] = s->ev[1] = s->ev[2] = 0;
	for (int i = 0; i < n + nmt; i++) {
		/* the incoming calls fall among the outgoing ones */
		int mt = nmt > 0 && i % ((n + nmt) / (nmt + 1) + 1) == 1 &&
		    s->ev[1] < nmt;
		int k = i < pool ? i : (int)rng_below(&x->r, (uint32_t)pool);
		int ans = rng_chance(&x->r, 0.92);
		int cell = s->extra[rng_below(&x->r, 2)];
		uint32_t dur = ans ? (uint32_t)rng_range(&x->r, 20, 240) : 0;

		if (mt) {
			if (scall(x, at[i], 0, 1, rng_u32(&x->r), dur, 0, B_ANS, cell))
				s->ev[1]++;
			continue;
		}
		if (s->ev[0] >= n)
			continue;
		if (scall(x, at[i], 1, 1, (uint32_t)k, dur, 0,
		    (ans ? B_ANS : 0) | B_DISTINCT, cell) != NULL) {
			s->ev[0]++;
			if (!seen[k]) {
				seen[k] = 1;
				s->ev[2]++;
			}
		}
	}
	free(seen);
	free(at);
}

static void
irsf(struct sctx *x)
{
	struct scen *s = x->s;
	int dest = 2 + s->extra[0];
	int k = s->near_miss ? (int)rng_range(&x->r, 1, 3) : (int)rng_range(&x->r, 2, 4);
	long long nm_total = rng_range(&x->r, 55, 59) * 60;
	int64_t t = s->t0, at[8];
	uint32_t dur[8];
	int cell = cell_at(x, s->t0);
	long long best = 0;

	for (int i = 0; i < k; i++) {
		if (s->near_miss)
			dur[i] = (uint32_t)(i == k - 1 ? nm_total : nm_total / k / 60 * 60);
		else
			dur[i] = (uint32_t)rng_range(&x->r, 32, 52) * 60 - (uint32_t)rng_range(&x->r, 0, 50);
		if (s->near_miss && i == k - 1)
			dur[i] = (uint32_t)(nm_total - (long long)(nm_total / k / 60 * 60) * (k - 1));
		at[i] = t;
		if (scall(x, t, 1, dest, rng_u32(&x->r), dur[i],
		    (dur[i] + 59) / 60 * (uint32_t)gen_countries[dest - 2].call_cents,
		    B_ANS, cell) == NULL)
			dur[i] = 0;
		t += dur[i] + rng_range(&x->r, 10, 90);
	}
	for (int i = 0; i < k; i++) {
		long long sum = 0;

		for (int j = i; j < k && at[j] < at[i] + HOUR; j++)
			sum += dur[j];
		if (sum > best)
			best = sum;
	}
	s->ev[0] = best;
	s->ev[1] = k;
}

static void
travel(struct sctx *x)
{
	struct scen *s = x->s;
	const struct gen *g = x->g;
	int home = (int)g->cust[s->cust].home, far = s->extra[2];
	const struct cell *a = &g->cells[home], *b = &g->cells[far];
	double km = gen_km(a->lat, a->lon, b->lat, b->lon);
	int64_t dt;

	if (s->near_miss) {
		dt = s->extra[1];
		sloc(x, s->t0, home, K_LOCUPD);
		sloc(x, s->t0 + dt, far, K_ATTACH);
	} else {
		int64_t back = rng_range(&x->r, 600, 3600);
		/* fast enough to be impossible: over 1000 km/h (the rule: 900) */
		int64_t most = (int64_t)(km * 3600 / 1000);

		dt = rng_range(&x->r, 300, most < 2700 ? most : 2700);
		sloc(x, s->t0, home, K_LOCUPD);
		sloc(x, s->t0 + dt, far, K_LOCUPD);
		scall(x, s->t0 + dt + 30, 1, 0, rng_below(&x->r, 25),
		    (uint32_t)rng_range(&x->r, 30, 300), 0, B_ANS, far);
		sloc(x, s->t0 + dt + back, home, K_LOCUPD);
	}
	s->ev[0] = (long long)(km + 0.5);
	s->ev[1] = (long long)(km / ((double)dt / 3600) + 0.5);
	s->ev[2] = dt;
}

static void
sim_swap(struct sctx *x)
{
	struct scen *s = x->s;
	struct ev *e;
	int64_t t0 = s->t0;

	s->ev[2] = 0;
	e = sev(x, ST_SEC, t0, s->near_miss || s->extra[0] == 0 ? K_SIMSWAP : K_PORTOUT);
	e->b = (rng_chance(&x->r, 0.5) ? 0u : 3u) | IM_NONE << 4;
	e->rnd = rng_u32(&x->r);
	if (!s->near_miss) {
		int64_t t1 = t0 + rng_range(&x->r, 600, 3600), t2, t3;
		int n = (int)rng_range(&x->r, 2, 5);
		uint32_t amount = (uint32_t)rng_range(&x->r, 12000, 40000);

		sloc(x, t0 + rng_range(&x->r, 60, 300), cell_at(x, t0), K_ATTACH);
		e = sev(x, ST_SEC, t1, K_PWRESET);
		if (e != NULL) {
			e->b = 1u | IM_NONE << 4 | 0x100;
			e->rnd = rng_u32(&x->r);
			s->ev[2]++;
		}
		t2 = t1 + rng_range(&x->r, 300, 3600);
		for (int i = 0; i < n; i++) {
			uint32_t dur = (uint32_t)rng_range(&x->r, 60, 900);
			int dest = 2 + gen_country_index(high_risk[rng_below(&x->r, 15)]);

			if (scall(x, t2, 1, dest, rng_u32(&x->r), dur,
			    (dur + 59) / 60 * (uint32_t)gen_countries[dest - 2].call_cents,
			    B_ANS | (uint32_t)IM_FRAUD << 29, cell_at(x, t2)) != NULL)
				s->ev[2]++;
			t2 += dur + rng_range(&x->r, 30, 600);
		}
		t3 = t1 + rng_range(&x->r, 600, 7200);
		if (ssvc(x, t3, K_APP, amount, 1, 4) != NULL)
			s->ev[2]++;
		s->ev[0] = t1 - t0;
		s->ev[1] = amount;
	} else {
		int64_t t1 = t0 + rng_range(&x->r, 2 * HOUR, 10 * HOUR);
		int64_t t2 = t0 + DAY + rng_range(&x->r, 300, 3600);

		sloc(x, t0 + rng_range(&x->r, 120, 900), cell_at(x, t0), K_ATTACH);
		scall(x, t0 + rng_range(&x->r, HOUR, 2 * HOUR), 1, 0,
		    rng_below(&x->r, 25), (uint32_t)rng_range(&x->r, 30, 600), 0, B_ANS,
		    cell_at(x, t0 + HOUR));
		ssvc(x, t1, K_BUNDLE, 10000, 20000, 4);
		e = sev(x, ST_SEC, t2, K_PWRESET);
		e = e != NULL ? e : &scratch;
		e->b = 1u | IM_NONE << 4;
		e->rnd = rng_u32(&x->r);
		s->ev[0] = t2 < x->g->end ? t2 - t0 : -1;
		s->ev[1] = 10000;
	}
}

static void
imei(struct sctx *x)
{
	struct scen *s = x->s;
	int n = s->near_miss ? 3 : (int)rng_range(&x->r, 3, 8);
	int64_t span = rng_range(&x->r, HOUR, 3 * HOUR), t = s->t0;
	uint32_t im = s->near_miss ? IM_RECORD : IM_FRAUD;

	if (s->near_miss && s->variant) {
		const struct cust *cu = &x->g->cust[s->cust];
		const char *model, *os;
		struct ev *e;
		char id[16];

		cust_id(id, s->cust);
		gen_device_of(cu, 2, &model, &os);
		schg(x, s->t0, "crm", "device_replaced", xasprintf(
		    "UPDATE device_information SET device_status = 'replaced' "
		    "WHERE customer_id = '%s' AND imei = '%llu' AND device_status <> 'replaced'; "
		    "INSERT INTO device_information (customer_id, device_model, os_version, "
		    "imei, device_status) SELECT '%s', '%s', '%s', '%llu', 'active' FROM DUAL "
		    "WHERE NOT EXISTS (SELECT 1 FROM device_information WHERE imei = '%llu')",
		    id, (unsigned long long)cu->imei, id, model, os,
		    (unsigned long long)cu->imei2, (unsigned long long)cu->imei2));
		e = sev(x, ST_SEC, s->t0, K_IMEICHG);
		e->b = 2u | IM_RECORD << 4;
		e->rnd = rng_u32(&x->r);
		t += rng_range(&x->r, 120, 900);
	}
	s->ev[0] = 0;
	for (int i = 0; i < n; i++) {
		if (scall(x, t, 1, 0, rng_below(&x->r, 25), (uint32_t)rng_range(&x->r, 20, 600),
		    0, B_ANS | im << 29, cell_at(x, t)) != NULL)
			s->ev[0]++;
		t += span / n + rng_range(&x->r, 0, 120);
	}
}

static void
roaming(struct sctx *x)
{
	struct scen *s = x->s;
	const struct cust *cu = &x->g->cust[s->cust];
	long long target = s->near_miss ? rng_range(&x->r, 18000, 19900) :
	    rng_range(&x->r, 22000, 40000);
	int city = s->extra[0];

	sloc(x, cu->strip.arr + rng_range(&x->r, 300, 1800), city_cell(x, city), K_ATTACH);
	s->ev[0] = charge_burst(x, s->t0, 3 * HOUR + 1800, target, s->near_miss, K_APP, city);
	sloc(x, cu->strip.ret - rng_range(&x->r, 600, 3600), city_cell(x, city), K_LOCUPD);
	sloc(x, cu->strip.back + rng_range(&x->r, 300, 1800), (int)cu->home, K_ATTACH);
}

static void
premium(struct sctx *x)
{
	struct scen *s = x->s;
	long long target = s->near_miss ? rng_range(&x->r, 9000, 9999) :
	    rng_range(&x->r, 11000, 25000), sum = 0;
	int64_t t = s->t0, end = s->t0 + 8 * HOUR;

	s->ev[1] = 0;
	while (sum < target && t < end) {
		int vas = rng_chance(&x->r, 0.15);
		uint32_t amount = vas ? (uint32_t)rng_range(&x->r, 499, 1499) :
		    (uint32_t)(199 + 100 * rng_below(&x->r, 4));

		if (s->near_miss && sum + amount > target)
			amount = (uint32_t)(target - sum);
		if (amount < 50)
			break;
		if (ssvc(x, t, vas ? K_VAS : K_PREMIUM_SMS, amount, 1, rng_u32(&x->r)) != NULL) {
			sum += amount;
			s->ev[1]++;
		}
		t += rng_range(&x->r, 60, 900);
	}
	s->ev[0] = sum;
}

static void
payment(struct sctx *x)
{
	struct scen *s = x->s;
	long long target = s->near_miss ? rng_range(&x->r, 4000, 4999) :
	    rng_range(&x->r, 5500, 15000);

	if (s->variant) {
		char id[16], at[24];
		int64_t t = s->t0 - rng_range(&x->r, 600, 3600);

		cust_id(id, s->cust);
		gen_fmt_sqltime(t, at);
		schg(x, t, "billing", "payment_failed", xasprintf(
		    "INSERT INTO payment_transactions (customer_id, transaction_date, "
		    "amount, payment_method, status, created_at) SELECT '%s', '%s', "
		    "59.99, 'credit_card', 'failed', '%s' WHERE NOT EXISTS (SELECT 1 "
		    "FROM payment_transactions WHERE customer_id = '%s' AND "
		    "transaction_date = '%s' AND status = 'failed')", id, at, at, id, at));
	}
	s->ev[0] = charge_burst(x, s->t0, 6 * HOUR, target, s->near_miss, K_TOPUP, -1);
	s->ev[1] = s->extra[3] + s->variant;
}

static void
auth_burst(struct sctx *x)
{
	struct scen *s = x->s;
	int n = s->near_miss ? 9 : (int)rng_range(&x->r, 12, 40);
	int64_t w = s->near_miss ? rng_range(&x->r, 200, 290) : rng_range(&x->r, 60, 240);
	int64_t at[64];
	int cell = cell_at(x, s->t0);

	at[0] = s->t0;
	at[n - 1] = s->t0 + w;
	for (int i = 1; i < n - 1; i++)
		at[i] = s->t0 + rng_range(&x->r, 0, w);
	sort64(at, n);
	s->ev[0] = 0;
	for (int i = 0; i < n; i++) {
		struct ev *e = sev(x, ST_SDR, at[i], K_AUTHFAIL);

		if (e == NULL)
			continue;
		e->a = 4181;
		e->b = 1;
		e->cell = (uint32_t)cell;
		s->ev[0]++;
	}
	s->ev[1] = w;
}

static void
run(struct gen *g, uint32_t si, int emit)
{
	struct sctx x = { g, &g->scen[si], si, emit, rng_init(g->seed, 32, si, 0) };

	switch (x.s->rule) {
	case R_SUBSCRIPTION: subscription(&x); break;
	case R_NEWACCT: new_account(&x); break;
	case R_WANGIRI: wangiri(&x); break;
	case R_SIMBOX: simbox(&x); break;
	case R_IRSF: irsf(&x); break;
	case R_TRAVEL: travel(&x); break;
	case R_SIMSWAP: sim_swap(&x); break;
	case R_IMEI: imei(&x); break;
	case R_ROAMING: roaming(&x); break;
	case R_PREMIUM: premium(&x); break;
	case R_PAYMENT: payment(&x); break;
	case R_AUTHFAIL: auth_burst(&x); break;
	}
}

/* ---- planning ---- */

#define WHOLE_FROM (INT64_MIN / 4)
#define WHOLE_TO (INT64_MAX / 4)

/* A start time for something lasting span: within the run, after lo. */
static int64_t
place(const struct gen *g, struct rng *r, int64_t lo, int64_t span, int64_t hi)
{
	int64_t a = g->start + lo, b = g->end - span;

	if (hi > 0 && g->start + hi - span < b)
		b = g->start + hi - span;
	if (b < a)
		b = a;
	return rng_range(r, a, b);
}

static void
quiet(struct cust *cu, unsigned mask, int64_t from, int64_t to)
{
	cu->qmask = (uint16_t)mask;
	cu->q_from = from;
	cu->q_to = to;
}

static int
far_city(const struct gen *g, struct rng *r, const struct cust *cu,
    const char *const *names, int n, double min_km)
{
	const struct cell *h = &g->cells[cu->home];

	for (int tries = 0; tries < 64; tries++) {
		int c = city_named(names[rng_below(r, (uint32_t)n)]);

		if (gen_km(h->lat, h->lon, gen_cities[c].lat, gen_cities[c].lon) >= min_km)
			return c;
	}
	return city_named("Madrid");
}

static void
plan_one(struct gen *g, uint32_t si)
{
	static const char *const far[] = { "Madrid", "Rome", "London", "Istanbul",
		"Athens", "Palma", "Paris", "New York", "Dubai" };
	static const char *const noneu[] = { "New York", "Istanbul", "Antalya",
		"Zurich", "Dubai", "Bangkok", "Tokyo", "London" };
	struct scen *s = &g->scen[si];
	struct cust *cu = &g->cust[s->cust];
	struct rng r = rng_init(g->seed, 31, si, 0);
	int nm = s->near_miss;
	double km, hours;

	cu->flags &= (uint8_t)~CF_NEWACCT;
	/*
	 * Charged calls made on a trip abroad are roaming charges as well: an
	 * IRSF burst there is also a roaming_spike. These customers stay home.
	 */
	if (s->rule == R_SUBSCRIPTION || s->rule == R_NEWACCT || s->rule == R_IRSF ||
	    s->rule == R_PAYMENT)
		cu->flags |= CF_NOTRAVEL;
	switch (s->rule) {
	case R_SUBSCRIPTION:
		s->t0 = place(g, &r, HOUR, 20 * HOUR, 0);
		s->extra[0] = s->variant ? (int)rng_range(&r, 640, 690) :
		    (int)rng_range(&r, 520, 595);
		s->extra[1] = (int)rng_range(&r, 540, 590);
		s->extra[2] = (int)rng_range(&r, 40500, 48000);
		if (nm)
			quiet(cu, Q_VOICE, WHOLE_FROM, WHOLE_TO);
		break;
	case R_NEWACCT:
		s->t0 = place(g, &r, HOUR, 8 * HOUR, 4 * DAY);
		s->extra[0] = (int)rng_range(&r, 0, 2);
		if (nm)
			quiet(cu, Q_CHARGE | Q_SVC, WHOLE_FROM, WHOLE_TO);
		break;
	case R_WANGIRI:
		s->t0 = place(g, &r, HOUR, HOUR, 0);
		if (nm)
			quiet(cu, Q_VOICE, s->t0 - HOUR, s->t0 + HOUR);
		break;
	case R_SIMBOX: {
		const struct city *ci = &gen_cities[g->cells[cu->home].city];

		s->t0 = place(g, &r, HOUR, 21 * HOUR, 0);
		cu->flags |= CF_NOTRAVEL;
		quiet(cu, Q_CDR | Q_LOC, WHOLE_FROM, WHOLE_TO);
		s->extra[0] = (int)cu->home;
		s->extra[1] = ci->cell0 + ((int)cu->home - ci->cell0 + 1) % ci->ncell;
		break;
	}
	case R_IRSF:
		s->t0 = place(g, &r, HOUR, 4 * HOUR, 0);
		s->extra[0] = gen_country_index(high_risk[rng_below(&r, 18)]);
		if (nm)
			quiet(cu, Q_INTL, WHOLE_FROM, WHOLE_TO);
		break;
	case R_TRAVEL: {
		const struct cell *h = &g->cells[cu->home], *b;
		int city = far_city(g, &r, cu, far, 9, nm ? 600 : 300);

		cu->flags |= CF_NOTRAVEL;
		s->extra[0] = city;
		s->extra[2] = gen_cities[city].cell0 + (int)rng_below(&r, (uint32_t)gen_cities[city].ncell);
		b = &g->cells[s->extra[2]];
		km = gen_km(h->lat, h->lon, b->lat, b->lon);
		if (nm) {
			double v = (double)rng_range(&r, 850, 885);
			int64_t dt = (int64_t)(km / v * 3600) + 1;

			s->extra[1] = (int)dt;
			s->t0 = place(g, &r, HOUR, dt + 2 * HOUR, 0);
			cu->strip.city = city;
			cu->strip.dep = s->t0 + 1;
			cu->strip.arr = s->t0 + dt - 1;
			cu->strip.ret = cu->strip.arr + rng_range(&r, DAY, 3 * DAY);
			cu->strip.back = cu->strip.ret + (int64_t)((km / 500 + 2.5) * 3600);
			quiet(cu, Q_LOC, s->t0 - 900, s->t0 + dt + 900);
		} else {
			s->t0 = place(g, &r, HOUR, 3 * HOUR, 0);
			quiet(cu, Q_LOC, s->t0 - 900, s->t0 + 2700 + 3600 + 900);
		}
		break;
	}
	case R_SIMSWAP:
		cu->flags |= CF_NOTRAVEL;
		if (!nm) {
			s->t0 = place(g, &r, HOUR, 8 * HOUR, 0);
			s->extra[0] = rng_chance(&r, 1.0 / 3);
			quiet(cu, Q_CDR | Q_SDR | Q_LOC | Q_SVC | Q_SEC, s->t0, s->t0 + 30 * HOUR);
		} else {
			s->t0 = place(g, &r, HOUR, 26 * HOUR, 0);
			quiet(cu, Q_SEC | Q_SVC, WHOLE_FROM, WHOLE_TO);
		}
		cu->t_swap = s->t0;
		break;
	case R_IMEI:
		s->t0 = place(g, &r, HOUR, 4 * HOUR, 0);
		if (nm && s->variant)
			cu->t_dev = s->t0;
		else if (nm)
			cu->flags |= CF_OLDDEV;
		break;
	case R_ROAMING: {
		const struct cell *h = &g->cells[cu->home];
		int city = far_city(g, &r, cu, noneu, 8, 300);

		cu->flags |= CF_NOTRAVEL;
		s->extra[0] = city;
		s->t0 = place(g, &r, 2 * HOUR, 5 * HOUR, 0);
		km = gen_km(h->lat, h->lon, gen_cities[city].lat, gen_cities[city].lon);
		hours = km / 500 + 2.5;
		cu->strip.city = city;
		cu->strip.dep = s->t0 - (int64_t)(hours * 3600) - rng_range(&r, HOUR, 10 * HOUR);
		cu->strip.arr = cu->strip.dep + (int64_t)(hours * 3600);
		cu->strip.ret = s->t0 + 4 * HOUR + rng_range(&r, HOUR, 2 * DAY);
		cu->strip.back = cu->strip.ret + (int64_t)(hours * 3600);
		if (nm)
			quiet(cu, Q_CHARGE | Q_SVC, WHOLE_FROM, WHOLE_TO);
		break;
	}
	case R_PREMIUM:
		s->t0 = place(g, &r, HOUR, 9 * HOUR, 0);
		if (nm)
			quiet(cu, Q_SVC, WHOLE_FROM, WHOLE_TO);
		break;
	case R_PAYMENT: {
		int64_t when[3];
		int n = nm ? 2 : s->variant ? 1 : (int)rng_range(&r, 2, 3);

		s->t0 = place(g, &r, HOUR, 7 * HOUR, 20 * DAY);
		for (int i = 0; i < n; i++)
			when[i] = rng_range(&r, s->t0 - 25 * DAY, g->start - DAY);
		sort64(when, n);
		for (int i = 0; i < n; i++)
			s->extra[i] = (int)(when[i] - g->start);
		s->extra[3] = n;
		if (nm)
			quiet(cu, Q_CHARGE | Q_SVC, WHOLE_FROM, WHOLE_TO);
		break;
	}
	case R_AUTHFAIL:
		s->t0 = place(g, &r, HOUR, HOUR, 0);
		if (nm)
			quiet(cu, Q_AUTHF, WHOLE_FROM, WHOLE_TO);
		break;
	}
	run(g, si, 0);
}

static long long
scen_count(double rate, uint32_t ncust)
{
	long long n;

	if (rate <= 0)
		return 0;
	n = (long long)(rate * ncust + 0.5);
	return n < 1 ? 1 : n;
}

void
gen_scen_plan(struct gen *g)
{
	long long npos = scen_count(g->fraud_rate, g->ncust);
	long long nnm = scen_count(g->near_rate, g->ncust);
	long long most = npos > nnm ? npos : nnm, want = 0;
	uint32_t *perm, next = 0;
	struct rng r = rng_init(g->seed, 30, 0, 0);

	for (int i = 0; i < NRULE; i++)
		if (g->rules & (1u << i))
			want += npos + nnm;
	if (want > g->ncust)
		weprintf("warning: %lld scenarios wanted, only %u customers: "
		    "some scenarios are left out", want, g->ncust);
	if (want > g->ncust)
		want = g->ncust;
	g->scen = xcalloc((size_t)want + 1, sizeof *g->scen);
	/* which customers: a shuffle of all of them */
	perm = xmalloc((size_t)g->ncust * sizeof *perm);
	for (uint32_t i = 0; i < g->ncust; i++)
		perm[i] = i;
	for (uint32_t i = g->ncust; i > 1; i--) {
		uint32_t j = rng_below(&r, i), t = perm[i - 1];

		perm[i - 1] = perm[j];
		perm[j] = t;
	}
	/* round robin over the rules, so that a shortage hits all alike */
	for (long long k = 0; k < most && g->nscen < want; k++)
		for (int rule = 0; rule < NRULE && g->nscen < want; rule++) {
			if (!(g->rules & (1u << rule)))
				continue;
			for (int nm = 0; nm <= 1 && g->nscen < want; nm++) {
				struct scen *s;

				if (k >= (nm ? nnm : npos))
					continue;
				s = &g->scen[g->nscen];
				s->rule = rule;
				s->near_miss = nm;
				s->cust = perm[next++];
				if (g->changes && k % 2 == 0 &&
				    ((rule == R_SUBSCRIPTION && !nm) ||
				    (rule == R_PAYMENT && !nm) ||
				    (rule == R_IMEI && nm)))
					s->variant = 1;
				g->cust[s->cust].scen = ++g->nscen;
			}
		}
	free(perm);
	for (uint32_t i = 0; i < g->nscen; i++)
		plan_one(g, i);
}

void
gen_scen_day(struct gen *g)
{
	for (uint32_t i = 0; i < g->nscen; i++) {
		const struct scen *s = &g->scen[i];

		if (s->t_first < g->day0 + DAY && s->t_last >= g->day0)
			run(g, i, 1);
	}
}

int
gen_scen_payments(const struct gen *g, uint32_t c, int64_t *when, int max)
{
	const struct cust *cu = &g->cust[c];
	const struct scen *s;
	int n;

	if (cu->scen == 0)
		return 0;
	s = &g->scen[cu->scen - 1];
	if (s->rule != R_PAYMENT)
		return 0;
	n = s->extra[3] < max ? s->extra[3] : max;
	for (int i = 0; i < n; i++)
		when[i] = g->start + s->extra[i];
	return n;
}

void
gen_scen_record(struct gen *g, uint32_t si, int st, uint64_t id)
{
	struct idlist *l = &g->scen[si].ids[st];

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xrealloc(l->v, (size_t)l->cap * sizeof *l->v);
	}
	l->v[l->n++] = id;
}

/* Changes of normal life: complaints opened and resolved, monthly payments. */
void
gen_normal_changes_day(struct gen *g)
{
	static const char *const types[] = { "network_coverage", "billing_dispute",
		"slow_data", "dropped_calls", "roaming_charges", "customer_service" };
	static const char *const sev[] = { "low", "medium", "high", "critical" };
	int64_t dayno = g->day0 / DAY;

	for (uint32_t c = 0; c < g->ncust; c++) {
		struct rng r = rng_init(g->seed, 33, c, (uint64_t)dayno);
		char id[16], at[24], done[24];

		cust_id(id, c);
		if (rng_chance(&r, 0.004)) {
			int64_t t = g->day0 + 7 * HOUR + rng_range(&r, 0, 8 * HOUR);

			gen_fmt_sqltime(t, at);
			gen_add_change(g, t, 0, c, "care", "complaint_opened", xasprintf(
			    "INSERT INTO complaints_feedback (customer_id, complaint_type, "
			    "severity, status, created_at) SELECT '%s', '%s', '%s', 'open', '%s' "
			    "WHERE NOT EXISTS (SELECT 1 FROM complaints_feedback WHERE "
			    "customer_id = '%s' AND created_at = '%s')", id,
			    types[rng_below(&r, 6)], sev[rng_below(&r, 4)], at, id, at));
			if (rng_chance(&r, 0.6)) {
				int64_t t2 = t + rng_range(&r, 1800, 6 * HOUR);

				gen_fmt_sqltime(t2, done);
				gen_add_change(g, t2, 0, c, "care", "complaint_resolved", xasprintf(
				    "UPDATE complaints_feedback SET status = 'resolved', "
				    "resolved_at = '%s' WHERE customer_id = '%s' AND "
				    "created_at = '%s' AND status <> 'resolved'", done, id, at));
			}
		}
		if ((int64_t)(gen_hash4(g->seed, 34, c, 0) % 30) == dayno % 30) {
			int64_t t = g->day0 + 5 * HOUR + rng_range(&r, 0, 12 * HOUR);
			long long cents = rng_range(&r, 1999, 14999);

			gen_fmt_sqltime(t, at);
			gen_add_change(g, t, 0, c, "billing", "payment", xasprintf(
			    "INSERT INTO payment_transactions (customer_id, transaction_date, "
			    "amount, payment_method, status, created_at) SELECT '%s', '%s', "
			    "%lld.%02lld, 'direct_debit', '%s', '%s' WHERE NOT EXISTS (SELECT 1 "
			    "FROM payment_transactions WHERE customer_id = '%s' AND "
			    "transaction_date = '%s')", id, at, cents / 100, cents % 100,
			    rng_chance(&r, 0.9) ? "completed" : "pending", at, id, at));
		}
	}
}

/* ---- ground truth ---- */

static void
jkey(struct gout *o, const char *k)
{
	gout_room(o, 256);
	gout_s(o, ",\"");
	gout_s(o, k);
	gout_s(o, "\":");
}

static void
jstr(struct gout *o, const char *k, const char *v)
{
	jkey(o, k);
	gout_c(o, '"');
	gout_s(o, v);
	gout_c(o, '"');
}

static void
jnum(struct gout *o, const char *k, long long v)
{
	jkey(o, k);
	gout_i(o, v);
}

static void
jfix(struct gout *o, const char *k, long long v, int dec)
{
	jkey(o, k);
	gout_fixed(o, v, dec);
}

static void
jtime(struct gout *o, const char *k, int64_t t)
{
	jkey(o, k);
	gout_c(o, '"');
	gout_time(o, t);
	gout_c(o, '"');
}

static void
jimei(struct gout *o, const char *k, uint64_t v)
{
	jkey(o, k);
	gout_c(o, '"');
	gout_u(o, v);
	gout_c(o, '"');
}

static void
evidence(struct gen *g, struct gout *o, const struct scen *s)
{
	const struct cust *cu = &g->cust[s->cust];

	gout_room(o, 64);
	gout_s(o, ",\"evidence\":{\"threshold\":");
	switch (s->rule) {
	case R_SUBSCRIPTION:
		gout_s(o, "\"voice minutes over 30 days > 500, monthly_spending > 400, credit_score < 600\"");
		jfix(o, "voice_minutes", s->ev[0] * 10 / 60, 1);
		jnum(o, "calls", s->ev[1]);
		jnum(o, "credit_score", s->variant ? s->extra[1] : s->extra[0]);
		if (s->variant)
			jnum(o, "credit_score_before_change", s->extra[0]);
		jfix(o, "monthly_spending", s->extra[2], 2);
		break;
	case R_NEWACCT:
		gout_s(o, "\"account younger than 7 days, charges over 24 h > 150\"");
		jfix(o, "charges_24h", s->ev[0], 2);
		jkey(o, "account_creation_date");
		gout_c(o, '"');
		gout_date(o, g->start - (int64_t)s->extra[0] * DAY);
		gout_c(o, '"');
		jfix(o, "account_age_days", (s->t0 - (g->start - (int64_t)s->extra[0] * DAY)) * 10 / DAY, 1);
		break;
	case R_WANGIRI:
		gout_s(o, "\">= 30 short or unanswered outgoing calls to distinct numbers in 10 min\"");
		jnum(o, "calls", s->ev[0]);
		jnum(o, "distinct_callees", s->ev[1]);
		jnum(o, "window_s", s->ev[2]);
		jnum(o, "max_duration_s", s->ev[3]);
		break;
	case R_SIMBOX:
		gout_s(o, "\"24 h: >= 100 outgoing voice, < 5% incoming, >= 80 callees, <= 2 cells, no data\"");
		jnum(o, "outgoing_voice", s->ev[0]);
		jnum(o, "incoming_voice", s->ev[1]);
		jnum(o, "distinct_callees", s->ev[2]);
		jnum(o, "cells", 2);
		jnum(o, "data_sessions", 0);
		break;
	case R_IRSF:
		gout_s(o, "\"voice minutes to high-risk countries within 1 h > 60\"");
		jfix(o, "high_risk_minutes_1h", s->ev[0] * 10 / 60, 1);
		jnum(o, "calls", s->ev[1]);
		jstr(o, "country", gen_countries[s->extra[0]].cc);
		break;
	case R_TRAVEL:
		gout_s(o, "\"consecutive locations > 300 km apart at > 900 km/h\"");
		jnum(o, "km", s->ev[0]);
		jnum(o, "speed_kmh", s->ev[1]);
		jnum(o, "seconds", s->ev[2]);
		jstr(o, "to_country", gen_countries[gen_cities[s->extra[0]].country].cc);
		break;
	case R_SIMSWAP:
		gout_s(o, "\"sim_swap or port_out_request, then within 24 h: foreign IMEI, password_reset or service amount > 100\"");
		jstr(o, "trigger", s->near_miss || s->extra[0] == 0 ? "sim_swap" : "port_out_request");
		jimei(o, "imsi_before", cu->imsi);
		jimei(o, "imsi_after", cu->imsi2);
		if (s->near_miss) {
			jfix(o, "service_amount_max_24h", s->ev[1], 2);
			jnum(o, "password_reset_after_s", s->ev[0]);
		} else {
			jnum(o, "first_follow_up_after_s", s->ev[0]);
			jfix(o, "service_amount_max_24h", s->ev[1], 2);
			jimei(o, "imei_seen", gen_fraud_imei(g->seed, (uint32_t)(s - g->scen) + 1));
			jnum(o, "follow_ups", s->ev[2]);
		}
		break;
	case R_IMEI:
		gout_s(o, "\"CDR IMEI differs from the active device on record\"");
		jimei(o, "imei_on_record", cu->imei);
		if (!s->near_miss)
			jimei(o, "imei_seen", gen_fraud_imei(g->seed, (uint32_t)(s - g->scen) + 1));
		else if (s->variant)
			jimei(o, "imei_seen", cu->imei2);
		else {
			jimei(o, "imei_seen", cu->imei);
			jimei(o, "imei_replaced_device", cu->imei_old);
		}
		jnum(o, "cdrs", s->ev[0]);
		break;
	case R_ROAMING:
		gout_s(o, "\"roaming charges within 4 h > 200\"");
		jfix(o, "roaming_charges_4h", s->ev[0], 2);
		jstr(o, "visited_country", gen_countries[gen_cities[s->extra[0]].country].cc);
		break;
	case R_PREMIUM:
		gout_s(o, "\"premium_sms and vas_subscription within 24 h > 100\"");
		jfix(o, "amount_24h", s->ev[0], 2);
		jnum(o, "purchases", s->ev[1]);
		break;
	case R_PAYMENT:
		gout_s(o, "\"charges within 24 h > 50 with >= 2 failed or chargeback payments in 30 days\"");
		jfix(o, "charges_24h", s->ev[0], 2);
		jnum(o, "bad_payments_30d", s->ev[1]);
		break;
	case R_AUTHFAIL:
		gout_s(o, "\">= 10 auth_failure for one imsi within 5 min\"");
		jnum(o, "failures", s->ev[0]);
		jnum(o, "window_s", s->ev[1]);
		jimei(o, "imsi", gen_imsi_at(cu, s->t0));
		break;
	}
	gout_c(o, '}');
}

void
gen_write_truth(struct gen *g)
{
	struct gout *o = &g->truth;

	for (uint32_t i = 0; i < g->nscen; i++) {
		struct scen *s = &g->scen[i];
		const struct cust *cu = &g->cust[s->cust];
		int64_t first = s->t_first, last = s->t_last;
		int any = 0;

		gout_room(o, 512);
		gout_s(o, "{\"scenario_id\":\"S");
		gout_upad(o, i + 1, 5);
		gout_s(o, "\",\"rule\":\"");
		gout_s(o, gen_rule_names[s->rule]);
		gout_s(o, s->near_miss ? "\",\"near_miss\":true" : "\",\"near_miss\":false");
		gout_s(o, ",\"customer_id\":\"");
		gout_c(o, 'C');
		gout_upad(o, s->cust + 1, 6);
		gout_s(o, "\",\"msisdn\":\"");
		gout_u(o, cu->msisdn);
		gout_c(o, '"');
		jtime(o, "start", first);
		jtime(o, "end", last);
		jkey(o, "change");
		if (s->change_no) {
			gout_s(o, "{\"id\":\"CHG");
			gout_upad(o, s->change_no, 6);
			gout_s(o, "\",\"at\":\"");
			gout_time(o, s->t_change);
			gout_s(o, "\",\"kind\":\"");
			gout_s(o, s->change_kind);
			gout_s(o, "\"}");
		} else
			gout_s(o, "null");
		if (s->rule == R_SIMSWAP && !s->near_miss)
			gout_s(o, ",\"also_fires\":[\"imei_mismatch\"]");
		evidence(g, o, s);
		gout_s(o, ",\"events\":{");
		for (int st = 0; st < NSTREAM; st++) {
			static const char *const pre[NSTREAM] = { "CDR", "SDR", NULL, "SEC", "USG" };
			struct idlist *l = &s->ids[st];

			if (l->n == 0)
				continue;
			gout_room(o, 64);
			gout_s(o, any++ ? ",\"" : "\"");
			gout_s(o, stream_topics[st]);
			gout_s(o, "\":[");
			for (uint32_t k = 0; k < l->n; k++) {
				gout_room(o, 32);
				if (k)
					gout_c(o, ',');
				if (pre[st] == NULL)
					gout_u(o, l->v[k]);
				else {
					gout_c(o, '"');
					gout_s(o, pre[st]);
					gout_upad(o, l->v[k], 10);
					gout_c(o, '"');
				}
			}
			gout_c(o, ']');
		}
		gout_s(o, "}}\n");
		o->rows++;
	}
}
