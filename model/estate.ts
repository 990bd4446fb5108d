/**
 * The words every room uses for the regional estate: its sites (power domains) and its clinical
 * services. Defined once here; see docs/ARCHITECTURE.md § The estate model.
 */
export const SITES = ['dc1', 'dc2'] as const;
export type Site = (typeof SITES)[number];

export const SERVICES = ['pas', 'booking', 'theatre'] as const;
export type Service = (typeof SERVICES)[number];

/** Serving site as a request record stores it (`x-blackstart-site`); code 0 when unknown (no answer). */
export const SITE_CODES = ['', 'dc1', 'dc2'] as const;
