/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The agent request checks (cf_httpd_agent_check()): the first byte picks
 * the route (bit 0: binary) and which headers are present (bits 1-3); then
 * pieces (cf_fuzz.h) give X-Switch-ID, X-Sketch-Count and Content-Encoding
 * (as C strings: cut at a NUL, as a header value is) and the rest is the
 * body. A verdict is 0 or 400 (500 only for memory); an accepted request's
 * switch id is printable and at most 256 bytes, and what is forwarded is
 * valid JSON for the JSON route.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cf_fuzz.h"
#include "cf_httpd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cf_httpd_agent_in in = { .now_s = 1700000000 };
	struct cf_httpd_agent_out out;
	char hv[3][512];
	struct cf_fuzz_piece pc;
	unsigned int st, i;
	uint8_t sel;

	if (size == 0)
		return 0;
	sel = data[0];
	data++;
	size--;
	in.binary = sel & 1;
	for (i = 0; i < 3; i++) {
		size_t n;

		if (!(sel & (2u << i)) || !cf_fuzz_next(&data, &size, &pc))
			continue;
		n = pc.len < sizeof(hv[i]) - 1 ? pc.len : sizeof(hv[i]) - 1;
		memcpy(hv[i], pc.p, n);
		hv[i][n] = '\0';
		if (i == 0)
			in.switch_id = hv[i];
		else if (i == 1)
			in.sketch_count = hv[i];
		else
			in.encoding = hv[i];
	}
	in.body = (const char *)data;
	in.len = size;
	st = cf_httpd_agent_check(&in, &out);
	if (st != 0 && st != 400 && st != 500)
		__builtin_trap();
	if (st == 0) {
		size_t l = strlen(out.switch_id);

		if (l == 0 || l > CF_HTTPD_SWITCH_ID_MAX)
			__builtin_trap();
		for (i = 0; i < l; i++)
			if ((unsigned char)out.switch_id[i] < 0x20 || (unsigned char)out.switch_id[i] > 0x7e)
				__builtin_trap();
		if (!in.binary) {
			cJSON *j = cJSON_ParseWithLength(out.body, out.len);

			if (j == NULL || !cJSON_IsObject(j))
				__builtin_trap();
			cJSON_Delete(j);
		}
	}
	cf_httpd_agent_out_free(&out);
	return 0;
}
