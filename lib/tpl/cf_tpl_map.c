/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which record field an information element feeds. Numbers are IANA's IPFIX
 * registry (RFC 7012), which NetFlow v9 (RFC 3954) shares below 128 and for
 * most ids above; SGT is Cisco's: v9 34000/34001, IPFIX PEN 9 1232/1233
 * (Cisco exports its v9 ids > 32767 as PEN 9, id - 32768). IANA 411/412 are
 * dot1qServiceInstance elements, not SGT.
 */
#include <stddef.h>

#include "cf_tpl.h"
#include "cf_tpl_dst.h"

#define PEN_CISCO 9

enum len_rule { L_UINT, L_ADDR4, L_ADDR6, L_MAC, L_NTP, L_2, L_STR, L_FLOAT };

static int
len_ok(enum len_rule r, uint16_t len)
{
	switch (r) {
	case L_UINT: return len >= 1 && len <= 8;
	case L_ADDR4: return len == 4;
	case L_ADDR6: return len == 16;
	case L_MAC: return len == 6;
	case L_NTP: return len == 8;
	case L_2: return len == 2;
	case L_STR: return len >= 1; /* variable length too */
	case L_FLOAT: return len == 4 || len == 8;
	}
	return 0;
}

static uint16_t
iana(uint16_t id, enum len_rule *r)
{
	*r = L_UINT;
	switch (id) {
	case 1: return CF_TPL_D_BYTES;
	case 2: return CF_TPL_D_PKTS;
	case 4: return CF_TPL_D_PROTO;
	case 5: return CF_TPL_D_TOS;
	case 6: return CF_TPL_D_TCP_FLAGS;
	case 7: return CF_TPL_D_SPORT;
	case 8: *r = L_ADDR4; return CF_TPL_D_SRC4;
	case 9: return CF_TPL_D_SRC_MASK;
	case 10: return CF_TPL_D_IN_IF;
	case 11: return CF_TPL_D_DPORT;
	case 12: *r = L_ADDR4; return CF_TPL_D_DST4;
	case 13: return CF_TPL_D_DST_MASK;
	case 14: return CF_TPL_D_OUT_IF;
	case 15: *r = L_ADDR4; return CF_TPL_D_NH4;
	case 16: return CF_TPL_D_SRC_AS;
	case 17: return CF_TPL_D_DST_AS;
	case 18: *r = L_ADDR4; return CF_TPL_D_BGP4;
	case 21: return CF_TPL_D_T_UP_END;
	case 22: return CF_TPL_D_T_UP_START;
	case 23: return CF_TPL_D_BYTES_ALT;   /* postOctetDeltaCount (v9 OUT_BYTES) */
	case 24: return CF_TPL_D_PKTS_ALT;
	case 27: *r = L_ADDR6; return CF_TPL_D_SRC6;
	case 28: *r = L_ADDR6; return CF_TPL_D_DST6;
	case 29: return CF_TPL_D_SRC_MASK;
	case 30: return CF_TPL_D_DST_MASK;
	case 32: *r = L_2; return CF_TPL_D_ICMP_TC;
	case 34: return CF_TPL_D_SAMP_INTERVAL;
	case 35: return CF_TPL_D_SAMP_ALGO;     /* samplingAlgorithm */
	case 48: return CF_TPL_D_SAMP_ID;       /* samplerId (v9 FLOW_SAMPLER_ID) */
	case 49: return CF_TPL_D_SAMP_ALGO;     /* samplerMode */
	case 50:
		return CF_TPL_D_SAMP_INTERVAL; /* samplerRandomInterval (v9 FLOW_SAMPLER_RANDOM_INTERVAL) */
	case 56: *r = L_MAC; return CF_TPL_D_SRC_MAC;
	case 57: *r = L_MAC; return CF_TPL_D_DST_MAC_POST;
	case 58: return CF_TPL_D_VLAN;
	case 59: return CF_TPL_D_POST_VLAN;
	case 61: return CF_TPL_D_DIRECTION;
	case 62: *r = L_ADDR6; return CF_TPL_D_NH6;
	case 63: *r = L_ADDR6; return CF_TPL_D_BGP6;
	case 80: *r = L_MAC; return CF_TPL_D_DST_MAC;
	case 81: *r = L_MAC; return CF_TPL_D_SRC_MAC_POST;
	case 82: *r = L_STR; return CF_TPL_D_NAME_IF;      /* interfaceName (options) */
	case 83: *r = L_STR; return CF_TPL_D_NAME_IF_DESC; /* interfaceDescription (options) */
	case 85: return CF_TPL_D_BYTES_ALT;     /* octetTotalCount */
	case 86: return CF_TPL_D_PKTS_ALT;      /* packetTotalCount */
	case 95: return CF_TPL_D_APP_ID;        /* applicationId, up to 8 bytes */
	case 96: *r = L_STR; return CF_TPL_D_NAME_APP;     /* applicationName (options) */
	case 139: *r = L_2; return CF_TPL_D_ICMP_TC;
	case 150: return CF_TPL_D_T_SEC_START;
	case 151: return CF_TPL_D_T_SEC_END;
	case 152: return CF_TPL_D_T_MS_START;
	case 153: return CF_TPL_D_T_MS_END;
	case 154: *r = L_NTP; return CF_TPL_D_T_US_START;
	case 155: *r = L_NTP; return CF_TPL_D_T_US_END;
	case 156: *r = L_NTP; return CF_TPL_D_T_NS_START;
	case 157: *r = L_NTP; return CF_TPL_D_T_NS_END;
	case 158: return CF_TPL_D_T_DUS_START;
	case 159: return CF_TPL_D_T_DUS_END;
	case 160: return CF_TPL_D_T_SYSINIT;
	case 176: return CF_TPL_D_ICMP_TYPE;
	case 177: return CF_TPL_D_ICMP_CODE;
	case 178: return CF_TPL_D_ICMP_TYPE;
	case 179: return CF_TPL_D_ICMP_CODE;
	case 231: return CF_TPL_D_BYTES_INIT;   /* initiatorOctets (ASA v9 FWD_FLOW_DELTA_BYTES) */
	case 232: return CF_TPL_D_BYTES_RESP;   /* responderOctets (REV_FLOW_DELTA_BYTES) */
	case 234: return CF_TPL_D_VRF_IN;       /* ingressVRFID */
	case 235: return CF_TPL_D_VRF_OUT;      /* egressVRFID */
	case 236: *r = L_STR; return CF_TPL_D_NAME_VRF;    /* VRFname (options) */
	case 243: return CF_TPL_D_VLAN_DOT1Q;
	case 252: return CF_TPL_D_IN_IF_PHYS;   /* ingressPhysicalInterface */
	case 253: return CF_TPL_D_OUT_IF_PHYS;  /* egressPhysicalInterface */
	case 254: return CF_TPL_D_POST_VLAN_DOT1Q;
	case 298: return CF_TPL_D_PKTS_INIT;    /* initiatorPackets */
	case 299: return CF_TPL_D_PKTS_RESP;    /* responderPackets */
	case 302: return CF_TPL_D_SAMP_ID;      /* selectorId */
	case 304: return CF_TPL_D_SAMP_ALGO;    /* selectorAlgorithm (RFC 5477) */
	case 305: return CF_TPL_D_SAMP_PKT_INTERVAL;
	case 306: return CF_TPL_D_SAMP_PKT_SPACE;
	case 309: return CF_TPL_D_SAMP_SIZE;    /* samplingSize */
	case 310: return CF_TPL_D_SAMP_POP;     /* samplingPopulation */
	case 311: *r = L_FLOAT; return CF_TPL_D_SAMP_PROB; /* samplingProbability */
	case 312: return CF_TPL_D_DL_SIZE;      /* dataLinkFrameSize */
	case 313: *r = L_STR; return CF_TPL_D_IP_SECTION;  /* ipHeaderPacketSection */
	case 315: *r = L_STR; return CF_TPL_D_DL_FRAME;    /* dataLinkFrameSection */
	case 322: return CF_TPL_D_T_OBS_SEC;    /* observationTimeSeconds */
	case 323: return CF_TPL_D_T_OBS_MS;     /* observationTimeMilliseconds (NSEL event time) */
	case 324: *r = L_NTP; return CF_TPL_D_T_OBS_US;
	case 325: *r = L_NTP; return CF_TPL_D_T_OBS_NS;
	case 365: *r = L_MAC; return CF_TPL_D_STA_MAC;   /* staMacAddress (Cisco WLC) */
	case 366: *r = L_ADDR4; return CF_TPL_D_STA4;    /* staIPv4Address (Cisco WLC) */
	default: return CF_TPL_D_SKIP;
	}
}

uint16_t
cf_tpl_map(uint8_t version, uint32_t pen, uint16_t id, uint16_t len)
{
	enum len_rule r = L_UINT;
	uint16_t d = CF_TPL_D_SKIP;

	if (pen == 0) {
		if (version == CF_RECORD_V_NF9 && (id == 34000 || id == 34001))
			d = id == 34000 ? CF_TPL_D_SGT_SRC : CF_TPL_D_SGT_DST;
		else if (version == CF_RECORD_V_NF9 && id >= 32768)
			d = CF_TPL_D_SKIP;
		else
			d = iana(id, &r);
	} else if (pen == PEN_CISCO && (id == 1232 || id == 1233)) {
		d = id == 1232 ? CF_TPL_D_SGT_SRC : CF_TPL_D_SGT_DST;
	}
	if (d == CF_TPL_D_SKIP)
		return d;
	if ((len == CF_TPL_VARLEN && r != L_STR) || !len_ok(r, len))
		return CF_TPL_D_BADLEN;
	return d;
}

#define NUM(f, bit) {offsetof(struct cf_record, f), sizeof(((struct cf_record *)0)->f), 0, bit}
#define ADDR(f, n, bit) {offsetof(struct cf_record, f), 0, n, bit}

/* Record field, width and presence bit of destinations a plain store can serve. */
static const struct {
	uint8_t roff, width;
	uint8_t addr;       /* 4: IPv4 copy, 6: MAC copy, 0: number of `width` bytes */
	uint32_t bit;
} direct[CF_TPL_D_MAX] = {
	[CF_TPL_D_SRC4] = ADDR(src_addr, 4, CF_RECORD_F_SRC_ADDR),
	[CF_TPL_D_DST4] = ADDR(dst_addr, 4, CF_RECORD_F_DST_ADDR),
	[CF_TPL_D_NH4] = ADDR(next_hop, 4, CF_RECORD_F_NEXT_HOP),
	[CF_TPL_D_SRC_MAC] = ADDR(src_mac, 6, CF_RECORD_F_SRC_MAC),
	[CF_TPL_D_DST_MAC] = ADDR(dst_mac, 6, CF_RECORD_F_DST_MAC),
	[CF_TPL_D_SPORT] = NUM(src_port, CF_RECORD_F_PORTS),
	[CF_TPL_D_DPORT] = NUM(dst_port, CF_RECORD_F_PORTS),
	[CF_TPL_D_PROTO] = NUM(protocol, CF_RECORD_F_PROTOCOL),
	[CF_TPL_D_TOS] = NUM(tos, CF_RECORD_F_TOS),
	[CF_TPL_D_TCP_FLAGS] = NUM(tcp_flags, CF_RECORD_F_TCP_FLAGS),
	[CF_TPL_D_ICMP_TYPE] = NUM(icmp_type, CF_RECORD_F_ICMP),
	[CF_TPL_D_ICMP_CODE] = NUM(icmp_code, CF_RECORD_F_ICMP),
	[CF_TPL_D_BYTES] = NUM(bytes, CF_RECORD_F_BYTES),
	[CF_TPL_D_PKTS] = NUM(packets, CF_RECORD_F_PACKETS),
	[CF_TPL_D_IN_IF] = NUM(input_if, CF_RECORD_F_INPUT_IF),
	[CF_TPL_D_OUT_IF] = NUM(output_if, CF_RECORD_F_OUTPUT_IF),
	[CF_TPL_D_SRC_AS] = NUM(src_as, CF_RECORD_F_SRC_AS),
	[CF_TPL_D_DST_AS] = NUM(dst_as, CF_RECORD_F_DST_AS),
	[CF_TPL_D_SRC_MASK] = NUM(src_mask, CF_RECORD_F_SRC_MASK),
	[CF_TPL_D_DST_MASK] = NUM(dst_mask, CF_RECORD_F_DST_MASK),
	[CF_TPL_D_DIRECTION] = NUM(direction, CF_RECORD_F_DIRECTION),
	[CF_TPL_D_SGT_SRC] = NUM(src_sgt, CF_RECORD_F_SRC_SGT),
	[CF_TPL_D_SGT_DST] = NUM(dst_sgt, CF_RECORD_F_DST_SGT),
};

uint32_t
cf_tpl_specialise(struct cf_tpl_step *s, int dual_family, int fused)
{
	static const uint8_t num_op[9][9] = {
		/* [len][width] */
		[1][1] = CF_TPL_OP_N11, [2][2] = CF_TPL_OP_N22, [4][4] = CF_TPL_OP_N44,
		[8][8] = CF_TPL_OP_N88, [1][4] = CF_TPL_OP_N14, [2][4] = CF_TPL_OP_N24,
		[4][8] = CF_TPL_OP_N48,
	};
	uint8_t op = CF_TPL_OP_GENERIC;

	s->op = CF_TPL_OP_GENERIC;
	s->roff = 0;
	if (s->dst >= CF_TPL_D_MAX || direct[s->dst].bit == 0)
		return 0;
	if (direct[s->dst].addr == 4) {
		/* A template with IPv6 addresses too needs the family rules of the generic path. */
		if (!dual_family && s->len == 4)
			op = CF_TPL_OP_CPY4;
	} else if (direct[s->dst].addr == 6) {
		if (s->len == 6)
			op = CF_TPL_OP_CPY6;
	} else if (s->len <= 8) {
		uint8_t w = direct[s->dst].width;

		op = num_op[s->len][w];
		if (op == CF_TPL_OP_GENERIC && fused && s->len > w) {
			/* (uintW_t)rd_un(q, len): a big-endian value's low W bytes are its last */
			op = num_op[w][w];
			if (op != CF_TPL_OP_GENERIC)
				s->off = (uint16_t)(s->off + s->len - w);
		}
	}
	if (op == CF_TPL_OP_GENERIC)
		return 0;
	s->op = op;
	s->roff = direct[s->dst].roff;
	return direct[s->dst].bit;
}

int
cf_tpl_direct_field(uint16_t d)
{
	return d < CF_TPL_D_MAX && direct[d].bit != 0 ? direct[d].roff : -1;
}

int
cf_tpl_map_len_ok(uint16_t d, uint16_t len)
{
	switch (d) {
	case CF_TPL_D_SRC4: case CF_TPL_D_DST4: case CF_TPL_D_NH4:
		return len == 4;
	case CF_TPL_D_SRC6: case CF_TPL_D_DST6: case CF_TPL_D_NH6:
		return len == 16;
	case CF_TPL_D_SRC_MAC: case CF_TPL_D_DST_MAC:
		return len == 6;
	case CF_TPL_D_BGP4:
		return len == 4;
	case CF_TPL_D_BGP6:
		return len == 16;
	case CF_TPL_D_SAMP_PROB:
		return len == 4 || len == 8;
	default:
		if (cf_tpl_dst_is_str(d))
			return len >= 1;
		return len >= 1 && len <= 8;
	}
}
