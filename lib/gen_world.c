/*
 * gen_world.c: reference data, customers, travel, and the five
 * system-of-record tables of telco-gen.
 */
#include "gen.h"
#include "util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Dialling codes, a mobile network of each country, EU roaming, IRSF risk. */
const struct country gen_countries[] = {
	{ "DE", "49", "26201", 1, 0, 0 },
	{ "FR", "33", "20801", 1, 0, 19 },
	{ "ES", "34", "21401", 1, 0, 19 },
	{ "IT", "39", "22201", 1, 0, 19 },
	{ "GB", "44", "23415", 0, 0, 29 },
	{ "AT", "43", "23201", 1, 0, 19 },
	{ "NL", "31", "20404", 1, 0, 19 },
	{ "PL", "48", "26001", 1, 0, 19 },
	{ "TR", "90", "28601", 0, 0, 49 },
	{ "US", "1", "310260", 0, 0, 29 },
	{ "CH", "41", "22801", 0, 0, 49 },
	{ "AE", "971", "42402", 0, 0, 99 },
	{ "RU", "7", "25001", 0, 0, 59 },
	{ "RO", "40", "22610", 1, 0, 19 },
	{ "GR", "30", "20201", 1, 0, 19 },
	{ "HR", "385", "21901", 1, 0, 19 },
	{ "BA", "387", "21803", 0, 1, 89 },
	{ "LV", "371", "24701", 1, 1, 29 },
	{ "LT", "370", "24601", 1, 1, 29 },
	{ "CU", "53", "36801", 0, 1, 189 },
	{ "SO", "252", "63730", 0, 1, 249 },
	{ "SL", "232", "61901", 0, 1, 199 },
	{ "GN", "224", "61102", 0, 1, 199 },
	{ "LR", "231", "61801", 0, 1, 199 },
	{ "GM", "220", "60701", 0, 1, 199 },
	{ "TD", "235", "62201", 0, 1, 199 },
	{ "ST", "239", "62601", 0, 1, 199 },
	{ "MH", "692", "55101", 0, 1, 249 },
	{ "TV", "688", "55301", 0, 1, 249 },
	{ "NR", "674", "53602", 0, 1, 249 },
	{ "TO", "676", "53901", 0, 1, 249 },
	{ "PG", "675", "53701", 0, 1, 249 },
	{ "ER", "291", "65701", 0, 1, 249 },
	{ "KM", "269", "65401", 0, 1, 249 },
	{ "TH", "66", "52001", 0, 0, 99 },
	{ "JP", "81", "44010", 0, 0, 99 },
};
const int gen_ncountries = sizeof gen_countries / sizeof gen_countries[0];

/* Real coordinates; home cities first, weights roughly population/10,000. */
struct city gen_cities[] = {
	{ "Berlin", 0, 52.5200, 13.4050, 366, 0, 0 },
	{ "Hamburg", 0, 53.5511, 9.9937, 185, 0, 0 },
	{ "Munich", 0, 48.1351, 11.5820, 148, 0, 0 },
	{ "Cologne", 0, 50.9375, 6.9603, 108, 0, 0 },
	{ "Frankfurt am Main", 0, 50.1109, 8.6821, 76, 0, 0 },
	{ "Stuttgart", 0, 48.7758, 9.1829, 63, 0, 0 },
	{ "Düsseldorf", 0, 51.2277, 6.7735, 62, 0, 0 },
	{ "Leipzig", 0, 51.3397, 12.3731, 60, 0, 0 },
	{ "Dortmund", 0, 51.5136, 7.4653, 59, 0, 0 },
	{ "Essen", 0, 51.4556, 7.0116, 58, 0, 0 },
	{ "Bremen", 0, 53.0793, 8.8017, 57, 0, 0 },
	{ "Dresden", 0, 51.0504, 13.7373, 56, 0, 0 },
	{ "Hannover", 0, 52.3759, 9.7320, 54, 0, 0 },
	{ "Nuremberg", 0, 49.4521, 11.0767, 52, 0, 0 },
	{ "Rostock", 0, 54.0924, 12.0991, 21, 0, 0 },
	{ "Freiburg im Breisgau", 0, 47.9990, 7.8421, 23, 0, 0 },
	/* abroad */
	{ "Paris", 1, 48.8566, 2.3522, 0, 0, 0 },
	{ "Madrid", 2, 40.4168, -3.7038, 0, 0, 0 },
	{ "Palma", 2, 39.5696, 2.6502, 0, 0, 0 },
	{ "Rome", 3, 41.9028, 12.4964, 0, 0, 0 },
	{ "Milan", 3, 45.4642, 9.1900, 0, 0, 0 },
	{ "London", 4, 51.5072, -0.1276, 0, 0, 0 },
	{ "Vienna", 5, 48.2082, 16.3738, 0, 0, 0 },
	{ "Amsterdam", 6, 52.3676, 4.9041, 0, 0, 0 },
	{ "Warsaw", 7, 52.2297, 21.0122, 0, 0, 0 },
	{ "Istanbul", 8, 41.0082, 28.9784, 0, 0, 0 },
	{ "Antalya", 8, 36.8969, 30.7133, 0, 0, 0 },
	{ "New York", 9, 40.7128, -74.0060, 0, 0, 0 },
	{ "Zurich", 10, 47.3769, 8.5417, 0, 0, 0 },
	{ "Dubai", 11, 25.2048, 55.2708, 0, 0, 0 },
	{ "Athens", 14, 37.9838, 23.7275, 0, 0, 0 },
	{ "Zagreb", 15, 45.8150, 15.9819, 0, 0, 0 },
	{ "Bangkok", 34, 13.7563, 100.5018, 0, 0, 0 },
	{ "Tokyo", 35, 35.6762, 139.6503, 0, 0, 0 },
};
const int gen_ncities = sizeof gen_cities / sizeof gen_cities[0];
const int gen_nhome_cities = 16;

const char *const gen_plan_names[NPLAN] = {
	"prepaid", "basic", "standard", "premium", "unlimited", "business"
};
static const int plan_weight[NPLAN] = { 25, 20, 25, 15, 8, 7 };
static const int plan_spend[NPLAN][2] = {	/* cents */
	{ 1000, 3000 }, { 1999, 3999 }, { 3499, 6999 }, { 6999, 14999 },
	{ 8999, 19999 }, { 9999, 39999 }
};

struct device {
	const char *model, *os;
	uint64_t tac;
};
static const struct device devices[] = {
	{ "Apple iPhone 15", "iOS 17.1", 35328115 },
	{ "Apple iPhone 13", "iOS 16.6", 35395211 },
	{ "Apple iPhone SE", "iOS 16.2", 35676211 },
	{ "Samsung Galaxy S23", "Android 14", 35092161 },
	{ "Samsung Galaxy A54", "Android 13", 35286433 },
	{ "Google Pixel 8", "Android 14", 35549610 },
	{ "Xiaomi Redmi Note 12", "Android 13", 86753605 },
	{ "Fairphone 5", "Android 13", 35139562 },
	{ "Nokia G21", "Android 12", 35650719 },
	{ "Motorola moto g54", "Android 13", 35867330 },
	{ "OnePlus 11", "Android 14", 86293506 },
	{ "Samsung Galaxy S9", "Android 10", 35298109 },
};
static const int ndevices = sizeof devices / sizeof devices[0];

void
gen_device_of(const struct cust *cu, int which, const char **model, const char **os)
{
	int i = which == 0 ? cu->dev : which == 1 ? cu->dev_old : (cu->dev + 1) % ndevices;

	*model = devices[i].model;
	*os = devices[i].os;
}

static const char *const first_names[] = {
	"Anna", "Lukas", "Marie", "Jonas", "Sophie", "Leon", "Emma", "Paul",
	"Mia", "Felix", "Hannah", "Maximilian", "Lea", "Elias", "Jürgen",
	"Zoë", "Ayşe", "Mehmet", "Katarzyna", "Piotr", "Giulia", "Marco",
	"Olga", "Dmitri", "Fatma", "Ali", "Sabine", "Thomas", "Ingrid",
	"Klaus", "Renée", "François", "Siobhán", "Liam", "Nguyen", "Chiara",
	"Andrés", "Lucía", "Björn", "Åsa",
};
static const char *const last_names[] = {
	"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer",
	"Wagner", "Becker", "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer",
	"Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
	"Yılmaz", "Kaya", "Çelik", "Kowalski", "Nowak", "Rossi", "Russo",
	"Ivanova", "Petrov", "O'Brien", "Dubois", "García", "Nguyễn", "Jansen",
	"Horvat", "Popescu", "Papadopoulos", "Lindqvist", "von Bülow", "Ben Ali",
};
#define NELEM(a) ((int)(sizeof(a) / sizeof((a)[0])))

static const char *const services[] = {
	"streaming", "social_media", "messaging", "gaming", "news",
	"navigation", "music", "video_calls",
};
static const char *const complaint_types[] = {
	"billing_dispute", "network_coverage", "dropped_calls", "slow_data",
	"roaming_charges", "customer_service", "device_issue",
	"unauthorized_charges",
};
static const char *const severities[] = { "low", "medium", "high", "critical" };

/* Countries where customers have family (international callers). */
static const char *const family_abroad[] = {
	"TR", "PL", "IT", "RU", "RO", "HR", "GR", "BA", "LV", "LT", "US",
	"ES", "GB", "FR",
};

int
gen_country_index(const char *cc)
{
	for (int i = 0; i < gen_ncountries; i++)
		if (strcmp(gen_countries[i].cc, cc) == 0)
			return i;
	return 0;
}

double
gen_km(double lat1, double lon1, double lat2, double lon2)
{
	const double r = 6371.0, rad = 3.14159265358979323846 / 180;
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double a = sin(dlat / 2) * sin(dlat / 2) +
	    cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);

	return 2 * r * asin(sqrt(a));
}

uint64_t
gen_luhn_imei(uint64_t tac, uint64_t serial)
{
	uint64_t body = tac * 1000000 + serial % 1000000, v = body;
	int sum = 0;

	/* digits from the right of the 14-digit body; double every other */
	for (int i = 0; i < 14; i++) {
		int dgt = (int)(v % 10);

		v /= 10;
		if (i % 2 == 0) {
			dgt *= 2;
			if (dgt > 9)
				dgt -= 9;
		}
		sum += dgt;
	}
	return body * 10 + (uint64_t)((10 - sum % 10) % 10);
}

/* A device that is on nobody's record: SIM boxes, clones, takeovers. */
uint64_t
gen_fraud_imei(uint64_t seed, uint32_t key)
{
	static const uint64_t tacs[] = { 86720004, 86015503, 35209900, 86900177 };
	uint64_t h = gen_hash4(seed, 41, key, 0);

	return gen_luhn_imei(tacs[h % 4], (h >> 8) % 1000000);
}

void
gen_world_init(struct gen *g)
{
	int wsum = 0, n = 0;

	g->nhome = (int)(g->ncust / 60);
	if (g->nhome < 48)
		g->nhome = 48;
	if (g->nhome > 30000)
		g->nhome = 30000;
	for (int i = 0; i < gen_nhome_cities; i++)
		wsum += gen_cities[i].weight;
	for (int i = 0; i < gen_nhome_cities; i++) {
		int k = g->nhome * gen_cities[i].weight / wsum;

		gen_cities[i].ncell = k < 2 ? 2 : k;
		n += gen_cities[i].ncell;
	}
	g->nhome = n;
	for (int i = gen_nhome_cities; i < gen_ncities; i++) {
		gen_cities[i].ncell = 4;
		n += 4;
	}
	g->ncells = n;
	g->cells = xcalloc((size_t)n, sizeof *g->cells);
	n = 0;
	for (int i = 0; i < gen_ncities; i++) {
		struct city *ci = &gen_cities[i];
		const struct country *co = &gen_countries[ci->country];
		double radius = i < gen_nhome_cities ? 4 + ci->weight / 20.0 : 6;

		ci->cell0 = n;
		for (int k = 0; k < ci->ncell; k++, n++) {
			struct rng r = rng_init(g->seed, 40, (uint64_t)i, (uint64_t)k);
			double dist = radius * sqrt(rng_unit(&r)), ang = 6.283185307179586 * rng_unit(&r);
			struct cell *ce = &g->cells[n];

			ce->lat = ci->lat + dist / 111.2 * sin(ang);
			ce->lon = ci->lon + dist / (111.2 * cos(ci->lat * 3.14159265358979 / 180)) * cos(ang);
			ce->city = i;
			snprintf(ce->id, sizeof ce->id, "%s%07d", co->mccmnc,
			    (int)(gen_hash4(g->seed, 42, (uint64_t)n, 0) % 9000000) / 100 * 100 +
			    1000000 + n % 100);
		}
	}
}

static int
pick_weighted(struct rng *r, const int *w, int n)
{
	int sum = 0, x;

	for (int i = 0; i < n; i++)
		sum += w[i];
	x = (int)rng_below(r, (uint32_t)sum);
	for (int i = 0; i < n; i++) {
		if (x < w[i])
			return i;
		x -= w[i];
	}
	return n - 1;
}

static int
home_city(struct rng *r)
{
	int w[32];

	for (int i = 0; i < gen_nhome_cities; i++)
		w[i] = gen_cities[i].weight;
	return pick_weighted(r, w, gen_nhome_cities);
}

void
gen_customers_init(struct gen *g)
{
	static const char *const mobile[] = { "151", "160", "170", "171", "175",
		"152", "162", "172", "173", "174", "176", "177", "178", "179",
		"157", "159" };

	g->cust = xcalloc(g->ncust, sizeof *g->cust);
	for (uint32_t c = 0; c < g->ncust; c++) {
		struct cust *cu = &g->cust[c];
		struct rng r = rng_init(g->seed, 2, c, 0);
		int city, pw[NPLAN];
		uint64_t sub = ((uint64_t)c * 2654435761ULL + 12345) % 5000000000ULL;

		memcpy(pw, plan_weight, sizeof pw);
		cu->plan = (uint8_t)pick_weighted(&r, pw, NPLAN);
		cu->act = (float)fmin(3.0, fmax(0.2, exp(0.45 * rng_normal(&r))));
		city = home_city(&r);
		cu->home = (uint32_t)(gen_cities[city].cell0 +
		    (int)rng_below(&r, (uint32_t)gen_cities[city].ncell));
		cu->work = (uint32_t)(gen_cities[city].cell0 +
		    (int)rng_below(&r, (uint32_t)gen_cities[city].ncell));
		if (rng_chance(&r, cu->plan == PLAN_BUSINESS ? 0.9 : 0.6))
			cu->flags |= CF_WORKS;
		if (rng_chance(&r, 0.35))
			cu->flags |= CF_NIGHTOFF;
		if (rng_chance(&r, cu->plan == PLAN_BUSINESS ? 0.5 : 0.12))
			cu->flags |= CF_TRAVELER;
		if (rng_chance(&r, 0.25))
			cu->flags |= CF_OLDDEV;
		if (rng_chance(&r, 0.02))
			cu->flags |= CF_NEWACCT;
		if (rng_chance(&r, 0.22))
			cu->intl = (uint8_t)(gen_country_index(family_abroad[
			    rng_below(&r, NELEM(family_abroad))]) + 1);
		/* 49 + a mobile prefix + 8 digits; unique per customer */
		cu->msisdn = 49ULL * 100000000000ULL +
		    (uint64_t)atoi(mobile[gen_hash4(g->seed, 43, c, 0) % NELEM(mobile)]) * 100000000ULL +
		    ((uint64_t)c * 48271ULL + 3571) % 100000000ULL;
		cu->imsi = 262010000000000ULL + sub;
		cu->imsi2 = 262015000000000ULL +
		    ((uint64_t)c * 2246822519ULL + 777) % 5000000000ULL;
		cu->dev = (uint8_t)rng_below(&r, (uint32_t)ndevices);
		cu->dev_old = (uint8_t)rng_below(&r, (uint32_t)ndevices);
		cu->imei = gen_luhn_imei(devices[cu->dev].tac, (uint64_t)c * 3 % 1000000);
		cu->imei_old = gen_luhn_imei(devices[cu->dev_old].tac,
		    ((uint64_t)c * 3 + 1) % 1000000);
		cu->imei2 = gen_luhn_imei(devices[(cu->dev + 1) % ndevices].tac,
		    ((uint64_t)c * 3 + 2) % 1000000);
		cu->t_swap = INT64_MAX;
		cu->t_dev = INT64_MAX;
		cu->strip.city = -1;
	}
}

/* The trip of normal life in week block k, if any. */
static int
block_trip(const struct gen *g, uint32_t c, int64_t k, struct trip *t)
{
	const struct cust *cu = &g->cust[c];
	struct rng r = rng_init(g->seed, 3, c, (uint64_t)k);
	const struct city *home = &gen_cities[g->cells[cu->home].city], *to;
	double km, travel;
	int64_t stay, total, b0 = g->start + k * 7 * 86400;

	if (!rng_chance(&r, cu->flags & CF_TRAVELER ? 0.4 : 0.05))
		return 0;
	if (rng_chance(&r, 0.55)) {
		do
			t->city = (int)rng_below(&r, (uint32_t)gen_nhome_cities);
		while (&gen_cities[t->city] == home);
	} else if (rng_chance(&r, 0.8)) {
		static const char *const eu[] = { "Paris", "Madrid", "Palma",
			"Rome", "Milan", "Vienna", "Amsterdam", "Warsaw", "Athens",
			"Zagreb" };
		const char *name = eu[rng_below(&r, NELEM(eu))];

		for (t->city = 0; strcmp(gen_cities[t->city].name, name) != 0; t->city++)
			;
	} else
		t->city = gen_nhome_cities + 2 + (int)rng_below(&r,
		    (uint32_t)(gen_ncities - gen_nhome_cities - 2));
	to = &gen_cities[t->city];
	km = gen_km(home->lat, home->lon, to->lat, to->lon);
	/* a train at home, a flight abroad with airports on both ends */
	travel = to->country == 0 ? km / 100 + 0.5 : km / 500 + 2.5;
	stay = rng_range(&r, cu->flags & CF_TRAVELER ? 12 * 3600 : 36 * 3600, 4 * 86400);
	total = 2 * (int64_t)(travel * 3600) + stay;
	t->dep = b0 + rng_range(&r, 0, 7 * 86400 - total - 1);
	t->arr = t->dep + (int64_t)(travel * 3600);
	t->ret = t->arr + stay;
	t->back = t->ret + (int64_t)(travel * 3600);
	return 1;
}

int
gen_trips(const struct gen *g, uint32_t c, int64_t day0, struct trip *t, int max)
{
	const struct cust *cu = &g->cust[c];
	int n = 0;

	if (cu->strip.city >= 0 && n < max)
		t[n++] = cu->strip;
	if (!(cu->flags & CF_NOTRAVEL) && n < max) {
		int64_t k = (day0 - g->start) / (7 * 86400);

		if (block_trip(g, c, k, &t[n]) && t[n].back > day0 &&
		    t[n].dep < day0 + 86400)
			n++;
	}
	return n;
}

int
gen_cell_at(const struct gen *g, uint32_t c, int64_t t, const struct trip *trips,
    int ntrips)
{
	const struct cust *cu = &g->cust[c];
	const struct city *ci;
	int64_t sec, wday;
	uint64_t h;

	for (int i = 0; i < ntrips; i++) {
		const struct trip *tr = &trips[i];

		if (t < tr->dep || t >= tr->back)
			continue;
		if (t < tr->arr || t >= tr->ret)
			return -1;
		ci = &gen_cities[tr->city];
		h = gen_hash4(g->seed, 44, c, (uint64_t)(t / 3600));
		return ci->cell0 + (int)(h % (uint64_t)ci->ncell);
	}
	sec = (t + 3600) % 86400;	/* local time, UTC+1 */
	wday = ((t + 3600) / 86400 + 4) % 7;
	h = gen_hash4(g->seed, 45, c, (uint64_t)(t / 1800));
	if (h % 10 == 0) {
		ci = &gen_cities[g->cells[cu->home].city];
		return ci->cell0 + (int)((h >> 8) % (uint64_t)ci->ncell);
	}
	if ((cu->flags & CF_WORKS) && wday >= 1 && wday <= 5 &&
	    sec >= 8 * 3600 + 1800 && sec < 17 * 3600)
		return (int)cu->work;
	return (int)cu->home;
}

/* CSV field, quoted when it holds a comma, a quote or a line break. */
static void
csv_field(struct gout *o, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		gout_s(o, s);
		return;
	}
	gout_c(o, '"');
	for (; *s; s++) {
		if (*s == '"')
			gout_c(o, '"');
		gout_c(o, *s);
	}
	gout_c(o, '"');
}

static const char *const table_files[5] = {
	"customer_profiles.csv", "device_information.csv",
	"payment_transactions.csv", "customer_behavior.csv",
	"complaints_feedback.csv",
};

int
gen_credit_score(const struct gen *g, uint32_t c)
{
	struct rng r = rng_init(g->seed, 5, c, 1);
	int s = (int)(690 + 70 * rng_normal(&r));

	return s < 300 ? 300 : s > 850 ? 850 : s;
}

static void
write_profile(struct gen *g, struct gout *o, uint32_t c, struct rng *r)
{
	const struct cust *cu = &g->cust[c];
	const struct scen *s = cu->scen ? &g->scen[cu->scen - 1] : NULL;
	long long spend = rng_range(r, plan_spend[cu->plan][0], plan_spend[cu->plan][1]);
	int credit = gen_credit_score(g, c), age = (int)rng_range(r, 18, 84);
	int delay = rng_chance(r, 0.8) ? (int)rng_range(r, 0, 3) : (int)rng_range(r, 4, 35);
	int64_t created = g->start - rng_range(r, 30, 12 * 365) * 86400;
	const char *gender = rng_chance(r, 0.49) ? "female" : rng_chance(r, 0.97) ? "male" : "other";
	int64_t updated;

	if (cu->flags & CF_NEWACCT)
		created = g->start - rng_range(r, 0, 6) * 86400;
	if (spend > 40000 && credit < 620)
		credit = 620 + credit % 100;
	if (s != NULL && s->rule == R_SUBSCRIPTION) {
		spend = 40500 + rng_range(r, 0, 7500);
		credit = s->extra[0];
	}
	if (s != NULL && s->rule == R_NEWACCT)
		created = g->start - (int64_t)s->extra[0] * 86400;
	if (s != NULL && s->rule == R_PAYMENT)
		delay = (int)rng_range(r, 8, 30);
	updated = g->start - rng_range(r, 3600, 20 * 86400);
	if (updated < created)
		updated = created + 3600;
	gout_room(o, GOUT_ROWMAX);
	gout_c(o, 'C');
	gout_upad(o, c + 1, 6);
	gout_c(o, ',');
	gout_s(o, first_names[rng_below(r, NELEM(first_names))]);
	gout_c(o, ' ');
	gout_s(o, last_names[rng_below(r, NELEM(last_names))]);
	gout_c(o, ',');
	gout_u(o, (unsigned)age);
	gout_c(o, ',');
	gout_s(o, gender);
	gout_c(o, ',');
	{
		char loc[64];

		snprintf(loc, sizeof loc, "%s, DE", gen_cities[g->cells[cu->home].city].name);
		csv_field(o, loc);
	}
	gout_c(o, ',');
	gout_date(o, created);
	gout_c(o, ',');
	gout_s(o, gen_plan_names[cu->plan]);
	gout_c(o, ',');
	gout_fixed(o, spend, 2);
	gout_c(o, ',');
	gout_u(o, (unsigned)credit);
	gout_c(o, ',');
	gout_u(o, (unsigned)delay);
	gout_c(o, ',');
	gout_time(o, updated);
	gout_c(o, '\n');
	g->tablerows[0]++;
}

static void
write_device(struct gen *g, struct gout *o, uint32_t c, int old, struct rng *r)
{
	const struct cust *cu = &g->cust[c];
	const struct device *d = &devices[old ? cu->dev_old : cu->dev];

	gout_room(o, GOUT_ROWMAX);
	gout_u(o, ++g->tablerows[1]);
	gout_c(o, ',');
	gout_c(o, 'C');
	gout_upad(o, c + 1, 6);
	gout_c(o, ',');
	gout_s(o, d->model);
	gout_c(o, ',');
	gout_s(o, d->os);
	gout_c(o, ',');
	gout_u(o, old ? cu->imei_old : cu->imei);
	gout_c(o, ',');
	gout_s(o, old ? (rng_chance(r, 0.8) ? "replaced" : "lost") : "active");
	gout_c(o, ',');
	gout_time(o, g->start - (old ? rng_range(r, 200, 700) : rng_range(r, 2, 190)) * 86400 -
	    rng_range(r, 0, 86399));
	gout_c(o, '\n');
}

static void
write_payment(struct gen *g, struct gout *o, uint32_t c, int64_t t, long long cents,
    const char *method, const char *status)
{
	gout_room(o, GOUT_ROWMAX);
	gout_u(o, ++g->tablerows[2]);
	gout_c(o, ',');
	gout_c(o, 'C');
	gout_upad(o, c + 1, 6);
	gout_c(o, ',');
	gout_time(o, t);
	gout_c(o, ',');
	gout_fixed(o, cents, 2);
	gout_c(o, ',');
	gout_s(o, method);
	gout_c(o, ',');
	gout_s(o, status);
	gout_c(o, ',');
	gout_time(o, t + 2);
	gout_c(o, '\n');
}

static void
write_payments(struct gen *g, struct gout *o, uint32_t c, struct rng *r)
{
	static const char *const methods[] = { "direct_debit", "credit_card",
		"debit_card", "paypal", "bank_transfer" };
	const struct cust *cu = &g->cust[c];
	const char *method = cu->plan == PLAN_PREPAID ? "voucher" :
	    methods[rng_below(r, NELEM(methods))];
	int64_t bad[4];
	int nbad = gen_scen_payments(g, c, bad, 4), bi = 0, had_bad = nbad > 0;
	int billing_day = (int)rng_range(r, 1, 28), late = rng_chance(r, 0.08);
	long long amount = rng_range(r, plan_spend[cu->plan][0], plan_spend[cu->plan][1]);

	for (int m = 2; m >= 0; m--) {
		int64_t t = g->start - (int64_t)(m * 30 + billing_day) * 86400 +
		    rng_range(r, 6 * 3600, 20 * 3600);

		if (cu->plan == PLAN_PREPAID)
			amount = 500 * rng_range(r, 2, 6);
		while (bi < nbad && bad[bi] < t) {
			write_payment(g, o, c, bad[bi], amount, method,
			    bi % 2 ? "chargeback" : "failed");
			bi++;
		}
		if (!had_bad && rng_chance(r, 0.06) && t + 3 * 86400 < g->start) {
			/* a failed debit, retried and paid: late, not fraud */
			write_payment(g, o, c, t, amount, method, "failed");
			write_payment(g, o, c, t + rng_range(r, 2, 3) * 86400, amount,
			    method, "completed");
			had_bad = 1;
		} else if (m == 0 && late)
			write_payment(g, o, c, t, amount, method, "pending");
		else if (!had_bad && rng_chance(r, 0.01)) {
			write_payment(g, o, c, t, amount, method, "refunded");
		} else
			write_payment(g, o, c, t, amount, method, "completed");
	}
	while (bi < nbad) {
		write_payment(g, o, c, bad[bi], amount, method,
		    bi % 2 ? "chargeback" : "failed");
		bi++;
	}
}

static void
write_behavior(struct gen *g, struct gout *o, uint32_t c, struct rng *r)
{
	gout_room(o, GOUT_ROWMAX);
	gout_u(o, ++g->tablerows[3]);
	gout_c(o, ',');
	gout_c(o, 'C');
	gout_upad(o, c + 1, 6);
	gout_c(o, ',');
	gout_u(o, (unsigned)rng_range(r, 45, 1800));
	gout_c(o, ',');
	gout_fixed(o, rng_range(r, 10, 9000), 2);
	gout_c(o, ',');
	gout_s(o, services[rng_below(r, NELEM(services))]);
	gout_c(o, ',');
	gout_time(o, g->start - rng_range(r, 60, 10 * 86400));
	gout_c(o, ',');
	gout_time(o, g->start - rng_range(r, 11 * 86400, 400 * 86400));
	gout_c(o, '\n');
}

static void
write_complaints(struct gen *g, struct gout *o, uint32_t c, struct rng *r)
{
	int n = rng_chance(r, 0.1) ? (rng_chance(r, 0.2) ? 2 : 1) : 0;

	for (int i = 0; i < n; i++) {
		int64_t t = g->start - rng_range(r, 3600, 120 * 86400);
		int open = rng_chance(r, 0.2);

		gout_room(o, GOUT_ROWMAX);
		gout_u(o, ++g->tablerows[4]);
		gout_c(o, ',');
		gout_c(o, 'C');
		gout_upad(o, c + 1, 6);
		gout_c(o, ',');
		gout_s(o, complaint_types[rng_below(r, NELEM(complaint_types))]);
		gout_c(o, ',');
		gout_s(o, severities[pick_weighted(r, (const int[]){ 5, 4, 2, 1 }, 4)]);
		gout_c(o, ',');
		gout_s(o, open ? (rng_chance(r, 0.5) ? "open" : "in_progress") :
		    (rng_chance(r, 0.5) ? "resolved" : "closed"));
		gout_c(o, ',');
		gout_time(o, t);
		gout_c(o, ',');
		if (!open) {
			int64_t done = t + rng_range(r, 1800, 10 * 86400);

			gout_time(o, done < g->start ? done : g->start - 60);
		}
		gout_c(o, '\n');
	}
}

void
gen_write_tables(struct gen *g, const char *dir)
{
	static const char *const headers[5] = {
		"customer_id,customer_name,age,gender,location,account_creation_date,"
		"plan_type,monthly_spending,credit_score,avg_payment_delay,last_updated\n",
		"device_id,customer_id,device_model,os_version,imei,device_status,"
		"last_updated\n",
		"transaction_id,customer_id,transaction_date,amount,payment_method,"
		"status,created_at\n",
		"behavior_id,customer_id,avg_session_duration,app_usage_hours,"
		"favorite_service,last_login,created_at\n",
		"complaint_id,customer_id,complaint_type,severity,status,created_at,"
		"resolved_at\n",
	};
	struct gout *o = xcalloc(5, sizeof *o);

	for (int i = 0; i < 5; i++) {
		gout_open(&o[i], dir, table_files[i]);
		gout_s(&o[i], headers[i]);
	}
	for (uint32_t c = 0; c < g->ncust; c++) {
		struct rng r = rng_init(g->seed, 6, c, 0);

		write_profile(g, &o[0], c, &r);
		if (g->cust[c].flags & CF_OLDDEV)
			write_device(g, &o[1], c, 1, &r);
		write_device(g, &o[1], c, 0, &r);
		write_payments(g, &o[2], c, &r);
		write_behavior(g, &o[3], c, &r);
		write_complaints(g, &o[4], c, &r);
	}
	for (int i = 0; i < 5; i++)
		gout_close(&o[i]);
	free(o);
}
