import { z } from 'zod';

/**
 * The words every room uses for an estate: its sites (power domains) and its clinical services.
 * Defined once here; see docs/ARCHITECTURE.md § The estate model.
 *
 * Sites are named by the estate (its file's `sites`, an external block's `sites`): a site is any
 * name of lower-case letters and digits, starting with a letter (no "-": a site's parts are named
 * `<site>-<part>`), other than the roles a fault may name instead (`active`, `standby`).
 */
export type Site = string;
const SITE_NAME = /^[a-z][a-z0-9]*$/;
export const SITE_ROLES = ['active', 'standby'] as const;
export type SiteRole = (typeof SITE_ROLES)[number];

/** A site's name as an estate declares it. */
export const siteName = z
  .string({ error: (i) => (i.input === undefined ? 'a site name is required' : 'a site name is a string') })
  .regex(SITE_NAME, 'a site name is lower-case letters and digits, starting with a letter (no "-": its parts are named <site>-<part>)')
  .refine((s) => !(SITE_ROLES as readonly string[]).includes(s), { message: 'active and standby are the roles a fault may name a site by, not site names' });

/** The built-in regional estate's sites (estates/regional.yaml), and an external system's when its block names none. */
export const REGIONAL_SITES = ['dc1', 'dc2'] as const;

export const SERVICES = ['pas', 'booking', 'theatre'] as const;
export type Service = (typeof SERVICES)[number];
