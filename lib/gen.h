/*
 * gen.h: the synthetic telecom world of telco-gen.
 *
 *   gen_world.c   reference data (cities, cells, countries, devices, names),
 *                 customers, travel, and the five system-of-record tables
 *   gen_day.c     one day of normal life, sorted by time and written as CSV
 *   gen_scen.c    injected fraud scenarios and near misses, the change
 *                 script and the ground truth
 *
 * Everything random comes from gen_rng.h keyed by (seed, purpose, customer,
 * day or scenario), so the bytes depend on the seed and the sizes only.
 */
#ifndef TP_GEN_H
#define TP_GEN_H

#include <stdint.h>

#include "gen_out.h"
#include "gen_rng.h"

/* Streams written day by day (telecom-network is written directly). */
enum { ST_CDR, ST_SDR, ST_LOC, ST_SEC, ST_SVC, NSTREAM };

enum { K_VOICE_MO, K_VOICE_MT, K_SMS_MO, K_SMS_MT, K_DATA };	/* cdr */
enum { K_ATTACH, K_DETACH, K_LOCUPD, K_AUTHREQ, K_AUTHFAIL, K_CALLSETUP,
	K_SMSMO };						/* sdr */
enum { K_SIMSWAP, K_IMEICHG, K_PWRESET, K_LOGINFAIL, K_PORTOUT };	/* security */
enum { K_PREMIUM_SMS, K_VAS, K_BUNDLE, K_TOPUP, K_APP };	/* service */

/*
 * One event of a day, 28 bytes; the CSV row is made from it and the
 * customer when the day is written. Meaning of a and b by stream:
 *   cdr  a = duration_s; b = charge in cents (bits 0-19), destination
 *        (bits 20-27: 0 a contact at home, 1 any number at home, 2+i
 *        country i abroad), B_ANS, B_DISTINCT (rnd numbers a distinct
 *        callee), imei choice (IM_*) in bits 29-30
 *   sdr  a = result_code; b = protocol (0 MAP, 1 Diameter, 2 SIP)
 *   sec  b = channel (0 store, 1 web, 2 app, 3 call_center) | IM_* << 4
 *   svc  a = amount in cents; b = units
 */
struct ev {
	uint32_t tk;	/* second of the day << 8 | kind */
	uint32_t cust;
	uint32_t scen;	/* scenario index + 1, or 0 for normal life */
	uint32_t rnd;
	uint32_t a, b;
	uint32_t cell;
};

#define B_CHARGE_MASK 0xfffffu
#define B_DEST(b) (((b) >> 20) & 0xffu)
#define B_ANS (1u << 28)
#define B_DISTINCT (1u << 31)
#define B_IMEI(b) (((b) >> 29) & 3u)
enum { IM_RECORD, IM_FRAUD, IM_NONE };

/* What normal life is suppressed for a customer, inside [q_from, q_to). */
enum {
	Q_VOICE = 1 << 0,	/* voice calls, both ways */
	Q_CDR = 1 << 1,		/* every CDR */
	Q_CHARGE = 1 << 2,	/* charges are 0.00 */
	Q_SVC = 1 << 3,		/* service usage */
	Q_INTL = 1 << 4,	/* international calls */
	Q_LOC = 1 << 5,		/* location events and updates */
	Q_SEC = 1 << 6,		/* security events */
	Q_AUTHF = 1 << 7,	/* auth failures */
	Q_SDR = 1 << 8,		/* every signalling event */
};

/* Customer flags. */
enum {
	CF_NOTRAVEL = 1 << 0,	/* no trips of normal life */
	CF_NIGHTOFF = 1 << 1,	/* phone off at night (detach, attach) */
	CF_WORKS = 1 << 2,	/* a work cell on weekdays */
	CF_TRAVELER = 1 << 3,	/* travels often */
	CF_OLDDEV = 1 << 4,	/* a replaced device row before the run */
	CF_NEWACCT = 1 << 5,	/* account younger than a week at the start */
};

enum { PLAN_PREPAID, PLAN_BASIC, PLAN_STANDARD, PLAN_PREMIUM, PLAN_UNLIMITED,
	PLAN_BUSINESS, NPLAN };

struct trip {
	int64_t dep, arr, ret, back;	/* leave, land, leave again, home */
	int city;
};

struct cust {
	uint64_t msisdn, imsi, imsi2, imei, imei2, imei_old;
	int64_t t_swap;		/* imsi2 from then on; INT64_MAX when never */
	int64_t t_dev;		/* imei2 from then on */
	int64_t q_from, q_to;
	struct trip strip;	/* a trip a scenario imposes (city -1: none) */
	uint32_t home, work;	/* cells */
	uint32_t scen;		/* scenario index + 1, or 0 */
	uint16_t qmask;
	uint8_t plan, intl;	/* intl: country index + 1 of family abroad */
	uint8_t flags;
	uint8_t dev, dev_old;	/* device model indexes */
	float act;
};

struct city {
	const char *name;
	int country;
	double lat, lon;
	int weight;
	int cell0, ncell;	/* its cells */
};

struct country {
	const char *cc, *dial, *mccmnc;
	int eu, high_risk;
	int call_cents;		/* a minute from home, cents */
};

struct cell {
	double lat, lon;
	int city;
	char id[16];
};

/* The rules the generator knows, in the contract's order. */
enum {
	R_SUBSCRIPTION, R_NEWACCT, R_WANGIRI, R_SIMBOX, R_IRSF, R_TRAVEL,
	R_SIMSWAP, R_IMEI, R_ROAMING, R_PREMIUM, R_PAYMENT, R_AUTHFAIL, NRULE
};
extern const char *const gen_rule_names[NRULE];

struct idlist {
	uint64_t *v;
	uint32_t n, cap;
};

struct scen {
	int rule, near_miss, variant;	/* variant 1: depends on a change */
	uint32_t cust;
	int64_t t0, t_first, t_last;
	int64_t t_change;
	uint64_t change_no;	/* its number in the change script, 0 none */
	const char *change_kind;
	long long ev[6];	/* evidence values, see gen_scen.c */
	int extra[4];		/* rule-specific (cities, cells, credit) */
	struct idlist ids[NSTREAM];
};

struct change {
	int64_t t;
	uint32_t seq;
	uint32_t scen;	/* scenario index + 1 or 0 */
	const char *db, *kind;
	uint32_t cust;
	char *sql;
};

struct gen {
	uint64_t seed;
	uint32_t ncust;
	int days;
	int64_t start;		/* midnight UTC of the first day */
	int64_t end;		/* start + days */
	double fraud_rate, near_rate;
	unsigned rules;		/* bit mask of rules to inject */
	int changes;		/* a change script is written */

	struct cust *cust;
	struct cell *cells;
	int ncells, nhome;	/* home cells are cells[0..nhome) */

	struct scen *scen;
	uint32_t nscen;

	/* the day being made */
	int64_t day0;
	struct ev *evs[NSTREAM];
	uint32_t nev[NSTREAM], cap[NSTREAM];
	struct ev *sorted;
	uint32_t permcap;
	struct change *chg;
	uint32_t nchg, capchg;

	struct gout out[NSTREAM], net, truth, changes_out;
	struct gout *tables;	/* 5 */
	unsigned long long next_id[NSTREAM], next_change;
	unsigned long long tablerows[5];
};

/* gen_world.c */
extern const struct country gen_countries[];
extern const int gen_ncountries;
extern struct city gen_cities[];
extern const int gen_ncities;
extern const int gen_nhome_cities;	/* cities[0..n) are at home (DE) */
int gen_country_index(const char *cc);
void gen_world_init(struct gen *g);
void gen_customers_init(struct gen *g);
/* Trips of normal life and of scenarios around day index d. */
int gen_trips(const struct gen *g, uint32_t c, int64_t day0, struct trip *t, int max);
/* Where is the customer at t: a cell, or -1 in the air. */
int gen_cell_at(const struct gen *g, uint32_t c, int64_t t,
    const struct trip *trips, int ntrips);
void gen_write_tables(struct gen *g, const char *dir);
double gen_km(double lat1, double lon1, double lat2, double lon2);
uint64_t gen_luhn_imei(uint64_t tac, uint64_t serial);
uint64_t gen_fraud_imei(uint64_t seed, uint32_t key);
/* Model and OS of a customer's device: 0 active, 1 replaced, 2 the next one. */
void gen_device_of(const struct cust *cu, int which, const char **model,
    const char **os);
extern const char *const gen_plan_names[NPLAN];
/* Table values the scenarios fix: see gen_world.c. */
int gen_credit_score(const struct gen *g, uint32_t c);

/* gen_day.c */
void gen_day(struct gen *g, int d);
struct ev *gen_push(struct gen *g, int stream, int64_t t, int kind, uint32_t c);
void gen_add_change(struct gen *g, int64_t t, uint32_t scen, uint32_t c,
    const char *db, const char *kind, char *sql);
int gen_suppressed(const struct cust *cu, int64_t t, unsigned what);
uint64_t gen_imei_at(const struct cust *cu, int64_t t);
uint64_t gen_imsi_at(const struct cust *cu, int64_t t);
/* Free what the run allocated. */
void gen_free(struct gen *g);

/* gen_scen.c */
int gen_rule_index(const char *name);
void gen_scen_plan(struct gen *g);
void gen_scen_day(struct gen *g);
void gen_normal_changes_day(struct gen *g);
void gen_scen_record(struct gen *g, uint32_t scen, int stream, uint64_t id);
void gen_write_truth(struct gen *g);
/* Table rows scenarios need: failed payments (count, times). */
int gen_scen_payments(const struct gen *g, uint32_t c, int64_t *when, int max);

#endif
