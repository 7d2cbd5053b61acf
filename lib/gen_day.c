/*
 * gen_day.c: one day of normal life for every customer, sorted by time and
 * written as the event CSV files; the network metrics; the change script.
 *
 * A day's events are kept as 28-byte records (struct ev), sorted with a
 * counting sort on the second of the day, and formatted as they are
 * written, so memory grows with the number of customers, not of days.
 */
#include "gen.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Mean events a day by plan: voice MO, voice MT, SMS MO, SMS MT, data. */
static const double plan_rates[NPLAN][5] = {
	{ 2.5, 2.5, 3.0, 3.0, 4.0 },	/* prepaid */
	{ 3.0, 3.0, 2.5, 2.5, 6.0 },	/* basic */
	{ 4.0, 3.5, 2.0, 2.0, 8.0 },	/* standard */
	{ 5.0, 4.0, 1.5, 2.0, 10.0 },	/* premium */
	{ 6.0, 4.5, 1.5, 2.0, 12.0 },	/* unlimited */
	{ 9.0, 7.0, 2.0, 2.0, 8.0 },	/* business */
};

/* Relative activity by hour of the local day. */
static const double voice_wd[24] = { 0.3, 0.15, 0.1, 0.08, 0.08, 0.15, 0.5,
	1.2, 2.0, 2.4, 2.5, 2.6, 2.4, 2.4, 2.5, 2.6, 2.8, 3.0, 3.0, 2.8, 2.4,
	1.9, 1.2, 0.6 };
static const double voice_we[24] = { 0.6, 0.35, 0.2, 0.1, 0.08, 0.08, 0.2,
	0.5, 1.0, 1.6, 2.2, 2.6, 2.8, 2.8, 2.6, 2.6, 2.7, 2.8, 2.8, 2.6, 2.3,
	2.0, 1.4, 0.9 };
static const double data_all[24] = { 0.8, 0.5, 0.3, 0.2, 0.2, 0.3, 0.8,
	1.6, 2.0, 1.8, 1.7, 1.8, 2.2, 2.0, 1.8, 1.8, 2.0, 2.3, 2.6, 3.0, 3.3,
	3.2, 2.6, 1.6 };
static double cdf_voice_wd[24], cdf_voice_we[24], cdf_data[24];

static void
make_cdf(const double *w, double *cdf)
{
	double sum = 0, acc = 0;

	for (int i = 0; i < 24; i++)
		sum += w[i];
	for (int i = 0; i < 24; i++) {
		acc += w[i];
		cdf[i] = acc / sum;
	}
}

/* A UTC second of the day for an hour drawn from cdf in local time (UTC+1). */
static int64_t
draw_sec(struct rng *r, const double *cdf)
{
	double u = rng_unit(r);
	int h = 0;

	while (h < 23 && u >= cdf[h])
		h++;
	return ((int64_t)h * 3600 + rng_below(r, 3600) + 86400 - 3600) % 86400;
}

struct ev *
gen_push(struct gen *g, int st, int64_t t, int kind, uint32_t c)
{
	struct ev *e;

	if (g->nev[st] == g->cap[st]) {
		g->cap[st] = g->cap[st] ? g->cap[st] * 2 : 65536;
		g->evs[st] = xrealloc(g->evs[st], (size_t)g->cap[st] * sizeof *e);
	}
	e = &g->evs[st][g->nev[st]++];
	e->tk = (uint32_t)(t - g->day0) << 8 | (uint32_t)kind;
	e->cust = c;
	e->scen = 0;
	e->rnd = 0;
	e->a = e->b = 0;
	e->cell = 0;
	return e;
}

void
gen_add_change(struct gen *g, int64_t t, uint32_t scen, uint32_t c,
    const char *db, const char *kind, char *sql)
{
	struct change *ch;

	if (g->nchg == g->capchg) {
		g->capchg = g->capchg ? g->capchg * 2 : 256;
		g->chg = xrealloc(g->chg, (size_t)g->capchg * sizeof *g->chg);
	}
	ch = &g->chg[g->nchg];
	ch->t = t;
	ch->seq = g->nchg++;
	ch->scen = scen;
	ch->cust = c;
	ch->db = db;
	ch->kind = kind;
	ch->sql = sql;
}

int
gen_suppressed(const struct cust *cu, int64_t t, unsigned what)
{
	return (cu->qmask & what) && t >= cu->q_from && t < cu->q_to;
}

uint64_t
gen_imei_at(const struct cust *cu, int64_t t)
{
	return t >= cu->t_dev ? cu->imei2 : cu->imei;
}

uint64_t
gen_imsi_at(const struct cust *cu, int64_t t)
{
	return t >= cu->t_swap ? cu->imsi2 : cu->imsi;
}

/* Charges in cents. */
static uint32_t
voice_charge(const struct gen *g, const struct cust *cu, int mo, int dest,
    int cell, uint32_t dur)
{
	int vc = gen_cities[g->cells[cell].city].country;
	uint32_t mins = (dur + 59) / 60;

	if (vc != 0 && !gen_countries[vc].eu)
		return mins * (mo ? 149 : 49);
	if (!mo)
		return 0;
	if (dest >= 2)
		return mins * (uint32_t)gen_countries[dest - 2].call_cents;
	return cu->plan == PLAN_PREPAID ? mins * 9 : 0;
}

static int
roaming_noneu(const struct gen *g, int cell)
{
	int vc = gen_cities[g->cells[cell].city].country;

	return vc != 0 && !gen_countries[vc].eu;
}

static uint32_t
lognormal(struct rng *r, double median, double sigma, uint32_t lo, uint32_t hi)
{
	double v = median * exp(sigma * rng_normal(r));

	return v < lo ? lo : v > hi ? hi : (uint32_t)v;
}

/* A voice call of normal life, with its signalling. */
static void
normal_call(struct gen *g, uint32_t c, struct rng *r, int mo, int64_t t, int cell,
    int *hr_today)
{
	struct cust *cu = &g->cust[c];
	struct ev *e;
	int dest = 0, ans = rng_chance(r, mo ? 0.86 : 0.8);
	uint32_t rnd, dur, charge;

	if (cu->intl && rng_chance(r, mo ? 0.14 : 0.1) && !gen_suppressed(cu, t, Q_INTL) &&
	    !(gen_countries[cu->intl - 1].high_risk && (*hr_today)++ > 0)) {
		dest = 2 + cu->intl - 1;
		rnd = rng_below(r, 3);
		dur = ans ? lognormal(r, 420, 0.8, 20, 2700) : 0;
	} else if (rng_chance(r, 0.8)) {
		rnd = rng_below(r, 25);
		dur = ans ? lognormal(r, 100, 1.0, 3, 3600) : 0;
	} else {
		dest = 1;
		rnd = rng_u32(r);
		dur = ans ? lognormal(r, 70, 0.9, 3, 1800) : 0;
	}
	if (roaming_noneu(g, cell) && dur > 480)
		dur = 480;
	charge = gen_suppressed(cu, t, Q_CHARGE) ? 0 : voice_charge(g, cu, mo, dest, cell, dur);
	e = gen_push(g, ST_CDR, t, mo ? K_VOICE_MO : K_VOICE_MT, c);
	e->rnd = rnd;
	e->a = dur;
	e->b = charge | (uint32_t)dest << 20 | (ans ? B_ANS : 0);
	e->cell = (uint32_t)cell;
	if (!gen_suppressed(cu, t, Q_SDR)) {
		e = gen_push(g, ST_SDR, t, K_CALLSETUP, c);
		e->b = rng_chance(r, 0.6) ? 2 : 0;
		e->cell = (uint32_t)cell;
	}
}

static void
location(struct gen *g, uint32_t c, struct rng *r, int64_t t, int cell, int kind)
{
	struct cust *cu = &g->cust[c];
	struct ev *e;

	if (gen_suppressed(cu, t, Q_LOC))
		return;
	if (!gen_suppressed(cu, t, Q_SDR)) {
		e = gen_push(g, ST_SDR, t, kind, c);
		e->b = rng_chance(r, 0.7) ? 1 : 0;
		e->cell = (uint32_t)cell;
	}
	e = gen_push(g, ST_LOC, t, 0, c);
	e->cell = (uint32_t)cell;
}

static void
normal_day(struct gen *g, uint32_t c, int wkend)
{
	struct cust *cu = &g->cust[c];
	struct rng r = rng_init(g->seed, 10, c, (uint64_t)(g->day0 / 86400));
	struct trip trips[2];
	int nt = gen_trips(g, c, g->day0, trips, 2), hr_today = 0, n, cell;
	const double *p = plan_rates[cu->plan];
	double f = cu->act * (wkend ? 0.75 : 1.0);
	int64_t t, d1 = g->day0 + 86400;
	int nocharge;
	struct ev *e;

	/* voice */
	for (int mo = 1; mo >= 0; mo--) {
		n = rng_poisson(&r, p[mo ? 0 : 1] * f);
		for (int i = 0; i < n; i++) {
			t = g->day0 + draw_sec(&r, wkend ? cdf_voice_we : cdf_voice_wd);
			cell = gen_cell_at(g, c, t, trips, nt);
			if (cell < 0 || gen_suppressed(cu, t, Q_VOICE | Q_CDR))
				continue;
			normal_call(g, c, &r, mo, t, cell, &hr_today);
		}
	}
	/* sms */
	for (int mo = 1; mo >= 0; mo--) {
		n = rng_poisson(&r, p[mo ? 2 : 3] * (wkend ? 1.1 : 1.0));
		for (int i = 0; i < n; i++) {
			uint32_t charge = 0;

			t = g->day0 + draw_sec(&r, cdf_voice_wd);
			cell = gen_cell_at(g, c, t, trips, nt);
			if (cell < 0 || gen_suppressed(cu, t, Q_CDR))
				continue;
			if (mo && !gen_suppressed(cu, t, Q_CHARGE))
				charge = roaming_noneu(g, cell) ? 39 :
				    cu->plan == PLAN_PREPAID ? 9 : 0;
			e = gen_push(g, ST_CDR, t, mo ? K_SMS_MO : K_SMS_MT, c);
			e->rnd = rng_below(&r, 25);
			e->b = charge | B_ANS;
			e->cell = (uint32_t)cell;
			if (mo && !gen_suppressed(cu, t, Q_SDR)) {
				e = gen_push(g, ST_SDR, t, K_SMSMO, c);
				e->b = rng_chance(&r, 0.5) ? 1 : 0;
				e->cell = (uint32_t)cell;
			}
		}
	}
	/* data sessions */
	n = rng_poisson(&r, p[4] * (wkend ? 1.15 : 1.0) * (0.5 + cu->act / 2));
	for (int i = 0; i < n; i++) {
		t = g->day0 + draw_sec(&r, cdf_data);
		cell = gen_cell_at(g, c, t, trips, nt);
		if (cell < 0 || gen_suppressed(cu, t, Q_CDR))
			continue;
		e = gen_push(g, ST_CDR, t, K_DATA, c);
		e->a = lognormal(&r, 600, 1.0, 30, 7200);
		e->b = (roaming_noneu(g, cell) && !gen_suppressed(cu, t, Q_CHARGE) ?
		    (uint32_t)rng_range(&r, 199, 499) : 0) | B_ANS;
		e->cell = (uint32_t)cell;
	}
	/* where the phone is: location updates, and around journeys */
	n = 3 + rng_poisson(&r, 3 * cu->act);
	for (int i = 0; i < n; i++) {
		t = g->day0 + draw_sec(&r, cdf_data);
		cell = gen_cell_at(g, c, t, trips, nt);
		if (cell >= 0)
			location(g, c, &r, t, cell, K_LOCUPD);
	}
	for (int i = 0; i < nt; i++) {
		int64_t when[4] = {
			trips[i].dep - rng_range(&r, 600, 3600),
			trips[i].arr + rng_range(&r, 300, 1800),
			trips[i].ret - rng_range(&r, 600, 3600),
			trips[i].back + rng_range(&r, 300, 1800),
		};

		if (trips[i].city == cu->strip.city && trips[i].dep == cu->strip.dep)
			continue;	/* a scenario's own trip places its own */
		for (int k = 0; k < 4; k++) {
			if (when[k] < g->day0 || when[k] >= d1)
				continue;
			cell = gen_cell_at(g, c, when[k], trips, nt);
			if (cell >= 0)
				location(g, c, &r, when[k], cell, k % 2 ? K_ATTACH : K_LOCUPD);
		}
	}
	/* phones switched off at night */
	if (cu->flags & CF_NIGHTOFF) {
		int64_t off = g->day0 + (22 * 3600 + rng_below(&r, 7200)) % 86400;
		int64_t on = g->day0 + 5 * 3600 + rng_below(&r, 7200);

		cell = gen_cell_at(g, c, on, trips, nt);
		if (cell >= 0)
			location(g, c, &r, on, cell, K_ATTACH);
		cell = gen_cell_at(g, c, off, trips, nt);
		if (cell >= 0 && !gen_suppressed(cu, off, Q_SDR)) {
			e = gen_push(g, ST_SDR, off, K_DETACH, c);
			e->b = 1;
			e->cell = (uint32_t)cell;
		}
	}
	/* authentication, now and then failing once */
	n = 2 + rng_poisson(&r, 2);
	for (int i = 0; i < n; i++) {
		t = g->day0 + draw_sec(&r, cdf_data);
		cell = gen_cell_at(g, c, t, trips, nt);
		if (cell < 0 || gen_suppressed(cu, t, Q_SDR))
			continue;
		if (rng_chance(&r, 0.004) && !gen_suppressed(cu, t, Q_AUTHF) &&
		    t + 60 < d1) {
			e = gen_push(g, ST_SDR, t, K_AUTHFAIL, c);
			e->a = 4181;
			e->b = 1;
			e->cell = (uint32_t)cell;
			t += rng_range(&r, 2, 30);
		}
		e = gen_push(g, ST_SDR, t, K_AUTHREQ, c);
		e->b = rng_chance(&r, 0.7) ? 1 : 0;
		e->cell = (uint32_t)cell;
	}
	/* security: forgotten passwords */
	if (!gen_suppressed(cu, g->day0, Q_SEC) && !gen_suppressed(cu, d1 - 1, Q_SEC)) {
		if (rng_chance(&r, 0.004)) {
			int k = 1 + (int)rng_below(&r, 3);

			t = g->day0 + draw_sec(&r, cdf_voice_wd);
			for (int i = 0; i < k && t < d1; i++, t += rng_range(&r, 5, 90)) {
				e = gen_push(g, ST_SEC, t, K_LOGINFAIL, c);
				e->rnd = (uint32_t)c;
				e->b = (rng_chance(&r, 0.5) ? 1u : 2u) | IM_NONE << 4;
			}
		}
		if (rng_chance(&r, 0.0015)) {
			t = g->day0 + draw_sec(&r, cdf_voice_wd);
			e = gen_push(g, ST_SEC, t, K_PWRESET, c);
			e->rnd = (uint32_t)c;
			e->b = (rng_chance(&r, 0.6) ? 1u : 2u) | IM_NONE << 4;
		}
	}
	/* services: bundles, apps, a premium SMS now and then */
	nocharge = gen_suppressed(cu, g->day0, Q_SVC | Q_CHARGE) ||
	    gen_suppressed(cu, d1 - 1, Q_SVC | Q_CHARGE);
	if (!nocharge) {
		static const struct { int kind; double p; int lo, hi, ulo, uhi; } sv[] = {
			{ K_BUNDLE, 0.012, 499, 1999, 1000, 20000 },
			{ K_APP, 0.02, 99, 999, 1, 1 },
			{ K_PREMIUM_SMS, 0.008, 99, 199, 1, 2 },
			{ K_VAS, 0.004, 299, 999, 1, 1 },
			{ K_TOPUP, 0.0, 1000, 3000, 1, 1 },
		};

		for (int i = 0; i < 5; i++) {
			double pr = sv[i].p;

			if (sv[i].kind == K_BUNDLE && cu->plan == PLAN_PREPAID)
				pr = 0.06;
			if (sv[i].kind == K_TOPUP && cu->intl)
				pr = 0.02;
			if (!rng_chance(&r, pr))
				continue;
			t = g->day0 + draw_sec(&r, cdf_data);
			e = gen_push(g, ST_SVC, t, sv[i].kind, c);
			e->rnd = rng_u32(&r);
			e->a = (uint32_t)rng_range(&r, sv[i].lo, sv[i].hi);
			e->b = (uint32_t)rng_range(&r, sv[i].ulo, sv[i].uhi);
		}
	}
}

/* ---- writing ---- */

static void
put_cust(struct gout *o, uint32_t c)
{
	gout_c(o, 'C');
	gout_upad(o, c + 1, 6);
}

static const char *const area[] = { "030", "040", "089", "0221", "069",
	"0711", "0211", "0341", "0231", "0201", "0421", "0351", "0511", "0911" };

static void
put_other(struct gout *o, const struct gen *g, const struct ev *e, int dest)
{
	uint64_t h;

	if (e->b & B_DISTINCT) {
		/* a bijection of rnd: distinct callees within a scenario */
		uint64_t k = ((uint64_t)e->rnd * 7919 + (uint64_t)e->scen * 104729) % 100000000ULL;

		if (dest >= 2) {
			gout_s(o, "00");
			gout_s(o, gen_countries[dest - 2].dial);
			gout_upad(o, 100000000ULL + k, 9);
		} else {
			gout_s(o, "0176");
			gout_upad(o, k, 8);
		}
		return;
	}
	h = gen_hash4(g->seed, 50 + (uint64_t)dest, e->cust, e->rnd);
	if (dest >= 2) {
		gout_s(o, h & 1 ? "+" : "00");
		gout_s(o, gen_countries[dest - 2].dial);
		gout_upad(o, 100000000ULL + (h >> 8) % 900000000ULL, 9);
	} else if (h % 10 < 7) {
		gout_s(o, "01");
		gout_c(o, (char)('5' + (h >> 4) % 3));
		gout_upad(o, (h >> 8) % 100000000ULL, 8);
	} else {
		gout_s(o, area[(h >> 4) % (sizeof area / sizeof area[0])]);
		gout_upad(o, 1000000 + (h >> 12) % 9000000, 7);
	}
}

static void
put_id(struct gout *o, const char *prefix, unsigned long long n)
{
	gout_s(o, prefix);
	gout_upad(o, n, 10);
}

static void
put_cdr(struct gen *g, struct gout *o, const struct ev *e, int64_t t)
{
	static const char *const types[] = { "voice", "voice", "sms", "sms", "data" };
	const struct cust *cu = &g->cust[e->cust];
	const struct cell *ce = &g->cells[e->cell];
	int kind = (int)(e->tk & 0xff), dest = (int)B_DEST(e->b);
	int vc = gen_cities[ce->city].country;
	unsigned long long id = ++g->next_id[ST_CDR];

	put_id(o, "CDR", id);
	gout_c(o, ',');
	put_cust(o, e->cust);
	gout_c(o, ',');
	gout_u(o, cu->msisdn);
	gout_c(o, ',');
	if (kind != K_DATA)
		put_other(o, g, e, dest);
	gout_s(o, kind == K_VOICE_MO || kind == K_SMS_MO || kind == K_DATA ? ",MO," : ",MT,");
	gout_s(o, types[kind]);
	gout_c(o, ',');
	gout_time(o, t);
	gout_c(o, ',');
	gout_u(o, e->a);
	gout_s(o, e->b & B_ANS ? ",true," : ",false,");
	gout_s(o, ce->id);
	gout_c(o, ',');
	gout_u(o, B_IMEI(e->b) == IM_FRAUD ? gen_fraud_imei(g->seed, e->scen) :
	    gen_imei_at(cu, t));
	gout_c(o, ',');
	gout_u(o, gen_imsi_at(cu, t));
	gout_c(o, ',');
	if (kind != K_DATA)
		gout_s(o, dest >= 2 ? gen_countries[dest - 2].cc : "DE");
	if (vc != 0) {
		gout_s(o, ",true,");
		gout_s(o, gen_countries[vc].cc);
	} else
		gout_s(o, ",false,");
	gout_c(o, ',');
	gout_fixed(o, e->b & B_CHARGE_MASK, 2);
	gout_c(o, '\n');
	if (e->scen)
		gen_scen_record(g, e->scen - 1, ST_CDR, id);
}

static void
put_sdr(struct gen *g, struct gout *o, const struct ev *e, int64_t t)
{
	static const char *const types[] = { "attach", "detach", "location_update",
		"auth_request", "auth_failure", "call_setup", "sms_mo" };
	static const char *const protos[] = { "MAP", "Diameter", "SIP" };
	const struct cust *cu = &g->cust[e->cust];
	unsigned long long id = ++g->next_id[ST_SDR];

	put_id(o, "SDR", id);
	gout_c(o, ',');
	put_cust(o, e->cust);
	gout_c(o, ',');
	gout_u(o, gen_imsi_at(cu, t));
	gout_c(o, ',');
	gout_u(o, cu->msisdn);
	gout_c(o, ',');
	gout_time(o, t);
	gout_c(o, ',');
	gout_s(o, types[e->tk & 0xff]);
	gout_c(o, ',');
	gout_s(o, protos[e->b % 3]);
	gout_c(o, ',');
	gout_s(o, g->cells[e->cell].id);
	gout_c(o, ',');
	gout_u(o, e->a);
	gout_c(o, '\n');
	if (e->scen)
		gen_scen_record(g, e->scen - 1, ST_SDR, id);
}

static void
put_loc(struct gen *g, struct gout *o, const struct ev *e, int64_t t)
{
	const struct cust *cu = &g->cust[e->cust];
	const struct cell *ce = &g->cells[e->cell];
	unsigned long long row = ++g->next_id[ST_LOC];

	put_cust(o, e->cust);
	gout_c(o, ',');
	gout_u(o, cu->msisdn);
	gout_c(o, ',');
	gout_time(o, t);
	gout_c(o, ',');
	gout_s(o, ce->id);
	gout_c(o, ',');
	gout_double(o, ce->lat, 6);
	gout_c(o, ',');
	gout_double(o, ce->lon, 6);
	gout_c(o, ',');
	gout_s(o, gen_countries[gen_cities[ce->city].country].cc);
	gout_c(o, '\n');
	if (e->scen)
		gen_scen_record(g, e->scen - 1, ST_LOC, row);
}

static void
put_ip(struct gout *o, uint64_t h, int abroad)
{
	static const int home[] = { 84, 87, 91, 93, 178, 217 };
	static const int away[] = { 41, 102, 185, 196, 197, 45 };

	gout_u(o, (unsigned)(abroad ? away[h % 6] : home[h % 6]));
	gout_c(o, '.');
	gout_u(o, (unsigned)((h >> 8) & 0xff));
	gout_c(o, '.');
	gout_u(o, (unsigned)((h >> 16) & 0xff));
	gout_c(o, '.');
	gout_u(o, (unsigned)(1 + ((h >> 24) % 254)));
}

static void
put_sec(struct gen *g, struct gout *o, const struct ev *e, int64_t t)
{
	static const char *const types[] = { "sim_swap", "imei_change",
		"password_reset", "login_failure", "port_out_request" };
	static const char *const channels[] = { "store", "web", "app", "call_center" };
	const struct cust *cu = &g->cust[e->cust];
	unsigned long long id = ++g->next_id[ST_SEC];
	unsigned im = (e->b >> 4) & 3, ch = e->b & 3;

	put_id(o, "SEC", id);
	gout_c(o, ',');
	put_cust(o, e->cust);
	gout_c(o, ',');
	gout_time(o, t);
	gout_c(o, ',');
	gout_s(o, types[e->tk & 0xff]);
	gout_c(o, ',');
	if (im == IM_RECORD)
		gout_u(o, gen_imei_at(cu, t));
	else if (im == IM_FRAUD)
		gout_u(o, gen_fraud_imei(g->seed, e->scen));
	gout_c(o, ',');
	gout_u(o, gen_imsi_at(cu, t));
	gout_c(o, ',');
	if (ch == 1 || ch == 2)
		put_ip(o, gen_hash4(g->seed, 60, e->cust, e->rnd), (e->b & 0x100) != 0);
	gout_c(o, ',');
	gout_s(o, channels[ch]);
	gout_c(o, '\n');
	if (e->scen)
		gen_scen_record(g, e->scen - 1, ST_SEC, id);
}

static void
put_svc(struct gen *g, struct gout *o, const struct ev *e, int64_t t)
{
	static const char *const types[] = { "premium_sms", "vas_subscription",
		"data_bundle", "international_topup", "app_purchase" };
	static const char *const names[5][5] = {
		{ "Horoscope Daily 84433", "Quiz Club 88220", "Ringtone Pro 81122",
		  "Love Match 89977", "Football Alerts 80404" },
		{ "Music Unlimited", "CloudBackup 50GB", "Mobile TV Plus",
		  "Game Pass Mobile", "News Plus" },
		{ "DataPlus 1GB", "DataPlus 5GB", "DataPlus 10GB", "Weekend Pass",
		  "Travel Pass World" },
		{ "Topup Turkey", "Topup Poland", "Topup Nigeria", "Topup India",
		  "Topup Cuba" },
		{ "App Store purchase", "Google Play purchase", "Video rental",
		  "Game credits", "Gift card" },
	};
	unsigned long long id = ++g->next_id[ST_SVC];
	int kind = (int)(e->tk & 0xff);

	put_id(o, "USG", id);
	gout_c(o, ',');
	put_cust(o, e->cust);
	gout_c(o, ',');
	gout_time(o, t);
	gout_c(o, ',');
	gout_s(o, types[kind]);
	gout_c(o, ',');
	gout_s(o, names[kind][e->rnd % 5]);
	gout_c(o, ',');
	gout_fixed(o, e->a, 2);
	gout_c(o, ',');
	gout_u(o, e->b);
	gout_c(o, '\n');
	if (e->scen)
		gen_scen_record(g, e->scen - 1, ST_SVC, id);
}

static uint32_t counts[86400 + 1];

static void
write_stream(struct gen *g, int st)
{
	struct gout *o = &g->out[st];
	uint32_t n = g->nev[st];
	const struct ev *ev = g->evs[st];
	struct ev *sorted;

	/* a counting sort on the second, stable, into a copy read in order */
	if (g->permcap < n) {
		g->permcap = n;
		g->sorted = xrealloc(g->sorted, (size_t)n * sizeof *g->sorted);
	}
	sorted = g->sorted;
	memset(counts, 0, sizeof counts);
	for (uint32_t i = 0; i < n; i++)
		counts[(ev[i].tk >> 8) + 1]++;
	for (int s = 1; s <= 86400; s++)
		counts[s] += counts[s - 1];
	for (uint32_t i = 0; i < n; i++)
		sorted[counts[ev[i].tk >> 8]++] = ev[i];
	for (uint32_t i = 0; i < n; i++) {
		const struct ev *e = &sorted[i];
		int64_t t = g->day0 + (e->tk >> 8);

		if (i + 16 < n)
			__builtin_prefetch(&g->cust[sorted[i + 16].cust]);
		gout_room(o, 512);
		switch (st) {
		case ST_CDR: put_cdr(g, o, e, t); break;
		case ST_SDR: put_sdr(g, o, e, t); break;
		case ST_LOC: put_loc(g, o, e, t); break;
		case ST_SEC: put_sec(g, o, e, t); break;
		default: put_svc(g, o, e, t); break;
		}
	}
	o->rows += n;
}

/* Per-cell metrics every 15 minutes, following the day's load. */
static void
write_network(struct gen *g)
{
	struct gout *o = &g->net;
	double per_cell = (double)g->ncust / g->nhome;

	for (int slot = 0; slot < 96; slot++) {
		int64_t t = g->day0 + slot * 900;
		int lh = (int)(((t + 3600) % 86400) / 3600);
		double load = (voice_wd[lh] + data_all[lh]) / 6.3;

		for (int c = 0; c < g->nhome; c++) {
			struct rng r = rng_init(g->seed, 20, (uint64_t)c, (uint64_t)t);
			double cf = 0.6 + 0.8 * (double)(gen_hash4(g->seed, 21, (uint64_t)c, 0) % 1000) / 1000;
			double l = load * cf * (0.9 + 0.2 * rng_unit(&r)), cpu, drop, lat, thr;
			long long subs = (long long)(per_cell * 2.5 * l * cf + rng_below(&r, 5));

			cpu = 0.08 + 0.55 * l + 0.05 * rng_unit(&r);
			drop = 0.002 + 0.012 * l * l + 0.002 * rng_unit(&r);
			lat = 18 + 30 * l + 8 * rng_unit(&r);
			thr = 320 * (1 - 0.55 * l) + 20 * rng_unit(&r);
			if (rng_chance(&r, 0.003)) {	/* an incident */
				cpu = 0.93 + 0.06 * rng_unit(&r);
				drop = 0.06 + 0.15 * rng_unit(&r);
				lat = 180 + 400 * rng_unit(&r);
				thr = 5 + 40 * rng_unit(&r);
			}
			if (cpu > 0.99)
				cpu = 0.99;
			gout_room(o, 256);
			gout_s(o, g->cells[c].id);
			gout_c(o, ',');
			gout_time(o, t);
			gout_c(o, ',');
			gout_double(o, cpu, 3);
			gout_c(o, ',');
			gout_double(o, drop, 4);
			gout_c(o, ',');
			gout_u(o, (unsigned)lat);
			gout_c(o, ',');
			gout_double(o, thr, 1);
			gout_c(o, ',');
			gout_u(o, (unsigned long long)subs);
			gout_c(o, '\n');
			o->rows++;
		}
	}
}

static int
change_cmp(const void *a, const void *b)
{
	const struct change *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
json_str(struct gout *o, const char *s)
{
	gout_c(o, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			gout_c(o, '\\');
		gout_c(o, *s);
	}
	gout_c(o, '"');
}

static void
write_changes(struct gen *g)
{
	struct gout *o = &g->changes_out;

	if (g->nchg == 0)
		return;
	qsort(g->chg, g->nchg, sizeof *g->chg, change_cmp);
	for (uint32_t i = 0; i < g->nchg; i++) {
		struct change *ch = &g->chg[i];
		unsigned long long no = ++g->next_change;

		if (o->buf != NULL) {
			gout_room(o, strlen(ch->sql) + 256);
			gout_s(o, "{\"id\":\"CHG");
			gout_upad(o, no, 6);
			gout_s(o, "\",\"at\":\"");
			gout_time(o, ch->t);
			gout_s(o, "\",\"db\":\"");
			gout_s(o, ch->db);
			gout_s(o, "\",\"kind\":\"");
			gout_s(o, ch->kind);
			gout_s(o, "\",\"customer_id\":\"");
			put_cust(o, ch->cust);
			gout_c(o, '"');
			if (ch->scen) {
				gout_s(o, ",\"scenario\":\"S");
				gout_upad(o, ch->scen, 5);
				gout_c(o, '"');
				g->scen[ch->scen - 1].change_no = no;
				g->scen[ch->scen - 1].t_change = ch->t;
				g->scen[ch->scen - 1].change_kind = ch->kind;
			}
			gout_s(o, ",\"sql\":");
			json_str(o, ch->sql);
			gout_s(o, "}\n");
			o->rows++;
		}
		free(ch->sql);
	}
	g->nchg = 0;
}

void
gen_day(struct gen *g, int d)
{
	int wkend;

	if (cdf_data[23] == 0) {
		make_cdf(voice_wd, cdf_voice_wd);
		make_cdf(voice_we, cdf_voice_we);
		make_cdf(data_all, cdf_data);
	}
	g->day0 = g->start + (int64_t)d * 86400;
	wkend = ((g->day0 / 86400 + 4) % 7) == 0 || ((g->day0 / 86400 + 4) % 7) == 6;
	for (int st = 0; st < NSTREAM; st++)
		g->nev[st] = 0;
	for (uint32_t c = 0; c < g->ncust; c++)
		normal_day(g, c, wkend);
	gen_scen_day(g);
	if (g->changes)
		gen_normal_changes_day(g);
	for (int st = 0; st < NSTREAM; st++)
		write_stream(g, st);
	write_network(g);
	write_changes(g);
}

void
gen_free(struct gen *g)
{
	for (int st = 0; st < NSTREAM; st++) {
		free(g->evs[st]);
		g->evs[st] = NULL;
	}
	free(g->sorted);
	for (uint32_t i = 0; i < g->nchg; i++)
		free(g->chg[i].sql);
	free(g->chg);
	if (g->scen != NULL)
		for (uint32_t i = 0; i <= g->nscen; i++)
			for (int st = 0; st < NSTREAM; st++)
				free(g->scen[i].ids[st].v);
	free(g->scen);
	free(g->cust);
	free(g->cells);
	g->sorted = NULL;
	g->chg = NULL;
	g->scen = NULL;
	g->cust = NULL;
	g->cells = NULL;
}
