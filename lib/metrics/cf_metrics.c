/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cf_metrics.h"
#include "cf_metrics_priv.h"

/* ---------------------------------------------------------------- registry */

static struct cf_metrics_entry registry[CF_METRICS_MAX_PROVIDERS];
pthread_mutex_t cf_metrics_registry_lock = PTHREAD_MUTEX_INITIALIZER;

int
cf_metrics_registry_add(const char *name, int kind, void *fn, void *ctx)
{
	int i, free_slot = -1, rc = 0;

	if (name == NULL || fn == NULL || strlen(name) >= sizeof(registry[0].name))
		return -EINVAL;
	pthread_mutex_lock(&cf_metrics_registry_lock);
	for (i = 0; i < CF_METRICS_MAX_PROVIDERS; i++) {
		if (registry[i].fn == NULL) {
			if (free_slot < 0)
				free_slot = i;
		} else if (registry[i].kind == kind && strcmp(registry[i].name, name) == 0) {
			rc = -EEXIST;
		}
	}
	if (rc == 0 && free_slot < 0)
		rc = -ENOSPC;
	if (rc == 0) {
		/* Keep registration order: later providers override summary keys. */
		for (i = 0; i < CF_METRICS_MAX_PROVIDERS && registry[i].fn != NULL; i++)
			;
		strcpy(registry[i].name, name);
		registry[i].kind = kind;
		registry[i].ctx = ctx;
		registry[i].fn = fn;
	}
	pthread_mutex_unlock(&cf_metrics_registry_lock);
	return rc;
}

/* Runs every entry of one kind; the caller holds no lock. */
int
cf_metrics_registry_run(int kind, void (*call)(void *fn, void *ctx, void *arg), void *arg)
{
	int i, n = 0;

	pthread_mutex_lock(&cf_metrics_registry_lock);
	for (i = 0; i < CF_METRICS_MAX_PROVIDERS && registry[i].fn != NULL; i++) {
		if (registry[i].kind != kind)
			continue;
		call(registry[i].fn, registry[i].ctx, arg);
		n++;
	}
	pthread_mutex_unlock(&cf_metrics_registry_lock);
	return n;
}

int
cf_metrics_register(const char *name, cf_metrics_provider_fn fn, void *ctx)
{
	return cf_metrics_registry_add(name, CF_METRICS_KIND_METRICS, (void *)fn, ctx);
}

int
cf_metrics_unregister(const char *name)
{
	int i, rc = -ENOENT;

	pthread_mutex_lock(&cf_metrics_registry_lock);
	for (i = 0; i < CF_METRICS_MAX_PROVIDERS && registry[i].fn != NULL; i++) {
		if (strcmp(registry[i].name, name) != 0)
			continue;
		/* Close the gap so the array stays dense and ordered. */
		memmove(&registry[i], &registry[i + 1],
			(size_t)(CF_METRICS_MAX_PROVIDERS - i - 1) * sizeof(registry[0]));
		memset(&registry[CF_METRICS_MAX_PROVIDERS - 1], 0, sizeof(registry[0]));
		rc = 0;
		i--;
	}
	pthread_mutex_unlock(&cf_metrics_registry_lock);
	return rc;
}

/* ---------------------------------------------------------------- builder */

struct sample {
	unsigned int first_label;   /* index into b->labels */
	unsigned int n_labels;
	int is_u64;
	uint64_t u;
	double d;
	/* histogram */
	unsigned int first_bucket;  /* index into b->buckets */
	unsigned int n_buckets;
	double sum;
};

struct bucket {
	double le;
	uint64_t cum;
};

struct family {
	char *name;
	char *help;
	enum cf_metrics_type type;
	unsigned int *samples;      /* indexes into b->samples, in order added */
	unsigned int n_samples, cap_samples;
};

struct summary {
	char *key;
	double v;
};

struct cf_metrics_builder {
	struct family *fams;
	unsigned int n_fams, cap_fams;
	struct sample *samples;
	unsigned int n_samples, cap_samples;
	struct cf_metrics_label *labels;   /* owned copies */
	unsigned int n_labels, cap_labels;
	struct bucket *buckets;
	unsigned int n_buckets, cap_buckets;
	struct summary *sums;
	unsigned int n_sums, cap_sums;
	int cur;                    /* current family, -1 = none */
	unsigned int errors;
};

/* Grows *arr so it holds at least need elements of size sz. */
static int
grow(void *arr, unsigned int *cap, unsigned int need, size_t sz)
{
	void **p = arr;
	unsigned int ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*p, (size_t)ncap * sz);
	if (n == NULL)
		return -ENOMEM;
	*p = n;
	*cap = ncap;
	return 0;
}

struct cf_metrics_builder *
cf_metrics_builder_new(void)
{
	struct cf_metrics_builder *b = calloc(1, sizeof(*b));

	if (b != NULL)
		b->cur = -1;
	return b;
}

void
cf_metrics_builder_free(struct cf_metrics_builder *b)
{
	unsigned int i;

	if (b == NULL)
		return;
	for (i = 0; i < b->n_fams; i++) {
		free(b->fams[i].name);
		free(b->fams[i].help);
		free(b->fams[i].samples);
	}
	for (i = 0; i < b->n_labels; i++) {
		free((char *)b->labels[i].name);
		free((char *)b->labels[i].value);
	}
	for (i = 0; i < b->n_sums; i++)
		free(b->sums[i].key);
	free(b->fams);
	free(b->samples);
	free(b->labels);
	free(b->buckets);
	free(b->sums);
	free(b);
}

unsigned int
cf_metrics_builder_errors(const struct cf_metrics_builder *b)
{
	return b->errors;
}

static void
call_provider(void *fn, void *ctx, void *arg)
{
	struct cf_metrics_builder *b = arg;

	((cf_metrics_provider_fn)fn)(b, ctx);
	b->cur = -1; /* a provider cannot add to the previous provider's family by accident */
}

int
cf_metrics_collect(struct cf_metrics_builder *b)
{
	return cf_metrics_registry_run(CF_METRICS_KIND_METRICS, call_provider, b);
}

static int
valid_name(const char *s, int colon_ok)
{
	const char *p;

	if (s == NULL || *s == '\0')
		return 0;
	for (p = s; *p; p++) {
		int alpha = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
			    (colon_ok && *p == ':');

		if (!alpha && !(p != s && *p >= '0' && *p <= '9'))
			return 0;
	}
	return colon_ok || strncmp(s, "__", 2) != 0;
}

static int
fail(struct cf_metrics_builder *b, int rc)
{
	b->errors++;
	return rc;
}

int
cf_metrics_family(struct cf_metrics_builder *b, const char *name, const char *help,
		  enum cf_metrics_type type)
{
	struct family *f;
	unsigned int i;

	if (!valid_name(name, 1) || (unsigned int)type > CF_METRICS_HISTOGRAM) {
		b->cur = -1;
		return fail(b, -EINVAL);
	}
	for (i = 0; i < b->n_fams; i++) {
		if (strcmp(b->fams[i].name, name) == 0) {
			if (b->fams[i].type != type) {
				b->cur = -1;
				return fail(b, -EINVAL);
			}
			b->cur = (int)i;
			return 0;
		}
	}
	if (grow(&b->fams, &b->cap_fams, b->n_fams + 1, sizeof(*b->fams)) != 0)
		return fail(b, -ENOMEM);
	f = &b->fams[b->n_fams];
	memset(f, 0, sizeof(*f));
	f->name = strdup(name);
	f->help = strdup(help ? help : "");
	f->type = type;
	if (f->name == NULL || f->help == NULL) {
		free(f->name);
		free(f->help);
		return fail(b, -ENOMEM);
	}
	b->cur = (int)b->n_fams++;
	return 0;
}

/* Appends a sample with copied labels to the current family; returns it or NULL. */
static struct sample *
add_sample(struct cf_metrics_builder *b, const struct cf_metrics_label *l, unsigned int nl, int *rc)
{
	struct family *f;
	struct sample *s;
	unsigned int i;

	*rc = -EINVAL;
	if (b->cur < 0)
		return NULL;
	for (i = 0; i < nl; i++)
		if (!valid_name(l[i].name, 0) || l[i].value == NULL ||
		    strcmp(l[i].name, "le") == 0)
			return NULL;
	*rc = -ENOMEM;
	f = &b->fams[b->cur];
	if (grow(&b->samples, &b->cap_samples, b->n_samples + 1, sizeof(*b->samples)) != 0 ||
	    grow(&b->labels, &b->cap_labels, b->n_labels + nl, sizeof(*b->labels)) != 0 ||
	    grow(&f->samples, &f->cap_samples, f->n_samples + 1, sizeof(*f->samples)) != 0)
		return NULL;
	s = &b->samples[b->n_samples];
	memset(s, 0, sizeof(*s));
	s->first_label = b->n_labels;
	for (i = 0; i < nl; i++) {
		struct cf_metrics_label *dst = &b->labels[b->n_labels];

		dst->name = strdup(l[i].name);
		dst->value = strdup(l[i].value);
		if (dst->name == NULL || dst->value == NULL) {
			free((char *)dst->name);
			free((char *)dst->value);
			return NULL;
		}
		b->n_labels++;
		s->n_labels++;
	}
	f->samples[f->n_samples++] = b->n_samples++;
	*rc = 0;
	return s;
}

int
cf_metrics_u64(struct cf_metrics_builder *b, const struct cf_metrics_label *l, unsigned int nl,
	       uint64_t v)
{
	int rc;
	struct sample *s;

	if (b->cur >= 0 && b->fams[b->cur].type == CF_METRICS_HISTOGRAM)
		return fail(b, -EINVAL);
	s = add_sample(b, l, nl, &rc);
	if (s == NULL)
		return fail(b, rc);
	s->is_u64 = 1;
	s->u = v;
	s->d = (double)v;
	return 0;
}

int
cf_metrics_f64(struct cf_metrics_builder *b, const struct cf_metrics_label *l, unsigned int nl,
	       double v)
{
	int rc;
	struct sample *s;

	if (b->cur >= 0 && b->fams[b->cur].type == CF_METRICS_HISTOGRAM)
		return fail(b, -EINVAL);
	s = add_sample(b, l, nl, &rc);
	if (s == NULL)
		return fail(b, rc);
	s->d = v;
	return 0;
}

int
cf_metrics_counter1(struct cf_metrics_builder *b, const char *name, const char *help, uint64_t v)
{
	int rc = cf_metrics_family(b, name, help, CF_METRICS_COUNTER);

	return rc != 0 ? rc : cf_metrics_u64(b, NULL, 0, v);
}

int
cf_metrics_gauge1(struct cf_metrics_builder *b, const char *name, const char *help, double v)
{
	int rc = cf_metrics_family(b, name, help, CF_METRICS_GAUGE);

	return rc != 0 ? rc : cf_metrics_f64(b, NULL, 0, v);
}

int
cf_metrics_histogram(struct cf_metrics_builder *b, const struct cf_metrics_label *l,
		     unsigned int nl, const double *le, const uint64_t *cum, unsigned int n,
		     double sum, uint64_t count)
{
	struct sample *s;
	unsigned int i;
	int rc;

	if (b->cur < 0 || b->fams[b->cur].type != CF_METRICS_HISTOGRAM)
		return fail(b, -EINVAL);
	for (i = 0; i < n; i++)
		if (isnan(le[i]) || (i > 0 && !(le[i] > le[i - 1])) || cum[i] > count ||
		    (i > 0 && cum[i] < cum[i - 1]))
			return fail(b, -EINVAL);
	if (grow(&b->buckets, &b->cap_buckets, b->n_buckets + n, sizeof(*b->buckets)) != 0)
		return fail(b, -ENOMEM);
	s = add_sample(b, l, nl, &rc);
	if (s == NULL)
		return fail(b, rc);
	s->first_bucket = b->n_buckets;
	s->n_buckets = n;
	for (i = 0; i < n; i++) {
		b->buckets[b->n_buckets].le = le[i];
		b->buckets[b->n_buckets].cum = cum[i];
		b->n_buckets++;
	}
	s->sum = sum;
	s->u = count;
	s->d = (double)count;
	s->is_u64 = 1;
	return 0;
}

int
cf_metrics_summary_set(struct cf_metrics_builder *b, const char *key, double v)
{
	unsigned int i;

	for (i = 0; i < b->n_sums; i++) {
		if (strcmp(b->sums[i].key, key) == 0) {
			b->sums[i].v = v;
			return 0;
		}
	}
	if (grow(&b->sums, &b->cap_sums, b->n_sums + 1, sizeof(*b->sums)) != 0)
		return fail(b, -ENOMEM);
	b->sums[b->n_sums].key = strdup(key);
	if (b->sums[b->n_sums].key == NULL)
		return fail(b, -ENOMEM);
	b->sums[b->n_sums++].v = v;
	return 0;
}

int
cf_metrics_summary_get(const struct cf_metrics_builder *b, const char *key, double *v)
{
	unsigned int i;

	for (i = 0; i < b->n_sums; i++) {
		if (strcmp(b->sums[i].key, key) == 0) {
			*v = b->sums[i].v;
			return 1;
		}
	}
	return 0;
}

static const struct family *
find_family(const struct cf_metrics_builder *b, const char *name)
{
	unsigned int i;

	for (i = 0; i < b->n_fams; i++)
		if (strcmp(b->fams[i].name, name) == 0)
			return &b->fams[i];
	return NULL;
}

double
cf_metrics_family_sum(const struct cf_metrics_builder *b, const char *family, const char *label,
		      const char *value)
{
	const struct family *f = find_family(b, family);
	double total = 0;
	unsigned int i, k;

	if (f == NULL)
		return -1;
	for (i = 0; i < f->n_samples; i++) {
		const struct sample *s = &b->samples[f->samples[i]];
		int match = label == NULL;

		for (k = 0; !match && k < s->n_labels; k++) {
			const struct cf_metrics_label *l = &b->labels[s->first_label + k];

			match = strcmp(l->name, label) == 0 && strcmp(l->value, value) == 0;
		}
		if (match)
			total += s->d;
	}
	return total;
}

unsigned int
cf_metrics_n_families(const struct cf_metrics_builder *b)
{
	return b->n_fams;
}

const char *
cf_metrics_family_name(const struct cf_metrics_builder *b, unsigned int f)
{
	return f < b->n_fams ? b->fams[f].name : NULL;
}

unsigned int
cf_metrics_n_samples(const struct cf_metrics_builder *b, unsigned int f)
{
	return f < b->n_fams ? b->fams[f].n_samples : 0;
}

const struct cf_metrics_label *
cf_metrics_sample_label(const struct cf_metrics_builder *b, unsigned int f, unsigned int s,
			unsigned int k)
{
	const struct sample *sm;

	if (f >= b->n_fams || s >= b->fams[f].n_samples)
		return NULL;
	sm = &b->samples[b->fams[f].samples[s]];
	return k < sm->n_labels ? &b->labels[sm->first_label + k] : NULL;
}

double
cf_metrics_sample_value(const struct cf_metrics_builder *b, unsigned int f, unsigned int s)
{
	if (f >= b->n_fams || s >= b->fams[f].n_samples)
		return NAN;
	return b->samples[b->fams[f].samples[s]].d;
}

/* ---------------------------------------------------------------- Prometheus text */

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

static void
buf_need(struct buf *o, size_t n)
{
	char *np;
	size_t ncap;

	if (o->oom || o->len + n + 1 <= o->cap)
		return;
	ncap = o->cap ? o->cap : 4096;
	while (ncap < o->len + n + 1)
		ncap *= 2;
	np = realloc(o->p, ncap);
	if (np == NULL) {
		o->oom = 1;
		return;
	}
	o->p = np;
	o->cap = ncap;
}

static void
buf_put(struct buf *o, const char *s, size_t n)
{
	buf_need(o, n);
	if (o->oom)
		return;
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

static void
buf_str(struct buf *o, const char *s)
{
	buf_put(o, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3)))
buf_fmt(struct buf *o, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		buf_put(o, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* HELP escapes \ and newline; label values also escape the double quote. */
static void
buf_escaped(struct buf *o, const char *s, int quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			buf_str(o, "\\\\");
		else if (*s == '\n')
			buf_str(o, "\\n");
		else if (quote && *s == '"')
			buf_str(o, "\\\"");
		else
			buf_put(o, s, 1);
	}
}

static void
buf_double(struct buf *o, double v)
{
	if (isnan(v))
		buf_str(o, "NaN");
	else if (isinf(v))
		buf_str(o, v > 0 ? "+Inf" : "-Inf");
	else
		buf_fmt(o, "%.17g", v);
}

static void
buf_value(struct buf *o, const struct sample *s)
{
	if (s->is_u64)
		buf_fmt(o, "%" PRIu64, s->u);
	else
		buf_double(o, s->d);
}

/* {a="x",b="y"[,le="..."]} — nothing when there is no label at all. */
static void
buf_labels(struct buf *o, const struct cf_metrics_builder *b, const struct sample *s,
	   const char *le)
{
	unsigned int k;

	if (s->n_labels == 0 && le == NULL)
		return;
	buf_str(o, "{");
	for (k = 0; k < s->n_labels; k++) {
		const struct cf_metrics_label *l = &b->labels[s->first_label + k];

		if (k)
			buf_str(o, ",");
		buf_str(o, l->name);
		buf_str(o, "=\"");
		buf_escaped(o, l->value, 1);
		buf_str(o, "\"");
	}
	if (le != NULL) {
		if (s->n_labels)
			buf_str(o, ",");
		buf_str(o, "le=\"");
		buf_str(o, le);
		buf_str(o, "\"");
	}
	buf_str(o, "}");
}

static const char *const type_names[] = {
	[CF_METRICS_COUNTER] = "counter",
	[CF_METRICS_GAUGE] = "gauge",
	[CF_METRICS_HISTOGRAM] = "histogram",
};

char *
cf_metrics_render_prometheus(const struct cf_metrics_builder *b, size_t *len)
{
	struct buf o = {0};
	unsigned int i, j, k;

	buf_need(&o, 1);
	for (i = 0; i < b->n_fams; i++) {
		const struct family *f = &b->fams[i];

		buf_str(&o, "# HELP ");
		buf_str(&o, f->name);
		buf_str(&o, " ");
		buf_escaped(&o, f->help, 0);
		buf_str(&o, "\n# TYPE ");
		buf_str(&o, f->name);
		buf_str(&o, " ");
		buf_str(&o, type_names[f->type]);
		buf_str(&o, "\n");
		for (j = 0; j < f->n_samples; j++) {
			const struct sample *s = &b->samples[f->samples[j]];

			if (f->type != CF_METRICS_HISTOGRAM) {
				buf_str(&o, f->name);
				buf_labels(&o, b, s, NULL);
				buf_str(&o, " ");
				buf_value(&o, s);
				buf_str(&o, "\n");
				continue;
			}
			for (k = 0; k < s->n_buckets; k++) {
				const struct bucket *bk = &b->buckets[s->first_bucket + k];
				char le[40];

				snprintf(le, sizeof(le), "%.17g", bk->le);
				buf_str(&o, f->name);
				buf_str(&o, "_bucket");
				buf_labels(&o, b, s, le);
				buf_fmt(&o, " %" PRIu64 "\n", bk->cum);
			}
			buf_str(&o, f->name);
			buf_str(&o, "_bucket");
			buf_labels(&o, b, s, "+Inf");
			buf_fmt(&o, " %" PRIu64 "\n", s->u);
			buf_str(&o, f->name);
			buf_str(&o, "_sum");
			buf_labels(&o, b, s, NULL);
			buf_str(&o, " ");
			buf_double(&o, s->sum);
			buf_str(&o, "\n");
			buf_str(&o, f->name);
			buf_str(&o, "_count");
			buf_labels(&o, b, s, NULL);
			buf_fmt(&o, " %" PRIu64 "\n", s->u);
		}
	}
	if (o.oom) {
		free(o.p);
		return NULL;
	}
	*len = o.len;
	return o.p;
}

/* ---------------------------------------------------------------- JSON */

/* JSON has no NaN/Inf: those become null. */
static cJSON *
json_number(double v)
{
	return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

cJSON *
cf_metrics_render_json(const struct cf_metrics_builder *b)
{
	cJSON *root = cJSON_CreateObject(), *metrics;
	unsigned int i, j, k;

	if (root == NULL)
		return NULL;
	for (i = 0; i < b->n_sums; i++)
		cJSON_AddItemToObject(root, b->sums[i].key, json_number(b->sums[i].v));
	metrics = cJSON_AddObjectToObject(root, "metrics");
	for (i = 0; metrics != NULL && i < b->n_fams; i++) {
		const struct family *f = &b->fams[i];
		cJSON *jf = cJSON_AddObjectToObject(metrics, f->name), *arr;

		if (jf == NULL)
			break;
		cJSON_AddStringToObject(jf, "type", type_names[f->type]);
		cJSON_AddStringToObject(jf, "help", f->help);
		arr = cJSON_AddArrayToObject(jf, "samples");
		for (j = 0; arr != NULL && j < f->n_samples; j++) {
			const struct sample *s = &b->samples[f->samples[j]];
			cJSON *js = cJSON_CreateObject(), *jl;

			if (js == NULL)
				break;
			cJSON_AddItemToArray(arr, js);
			jl = cJSON_AddObjectToObject(js, "labels");
			for (k = 0; jl != NULL && k < s->n_labels; k++) {
				const struct cf_metrics_label *l = &b->labels[s->first_label + k];

				cJSON_AddStringToObject(jl, l->name, l->value);
			}
			if (f->type == CF_METRICS_HISTOGRAM) {
				cJSON *jb = cJSON_AddObjectToObject(js, "buckets");

				for (k = 0; jb != NULL && k < s->n_buckets; k++) {
					const struct bucket *bk = &b->buckets[s->first_bucket + k];
					char le[40];

					snprintf(le, sizeof(le), "%.17g", bk->le);
					cJSON_AddNumberToObject(jb, le, (double)bk->cum);
				}
				if (jb != NULL)
					cJSON_AddNumberToObject(jb, "+Inf", (double)s->u);
				cJSON_AddItemToObject(js, "sum", json_number(s->sum));
				cJSON_AddNumberToObject(js, "count", (double)s->u);
			} else {
				cJSON_AddItemToObject(js, "value", json_number(s->d));
			}
		}
	}
	return root;
}
