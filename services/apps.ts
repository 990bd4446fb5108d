import type * as http from 'node:http';
import type { Storage } from './san/storage';
import { registerBookingRoutes } from './booking/app';
import { addBatchRoute } from './common/batch';
import type { CalendarOptions } from './common/calendar';
import { Router, createHttpServer } from './common/http';
import { addProbeRoutes } from './common/probes';
import { registerPasRoutes } from './pas/app';
import { registerTheatreRoutes } from './theatre/app';

import type { Service } from '../model/estate';

export { SERVICES, type Service } from '../model/estate';

export interface AppServerOptions {
  service: Service;
  site: string;
  storage: Storage;
  /** The slot and session catalogues' days; the load generator must use the same. Default: 20 weekdays from 2027-01-04. */
  calendar?: CalendarOptions;
  /** How long /health/ready waits for the SAN's status before answering 503. Default 2000. */
  readyTimeoutMs?: number;
}

const APPS: Record<Service, (router: Router, options: AppServerOptions) => void> = {
  pas: (router, o) => registerPasRoutes(router, o.storage),
  booking: (router, o) => registerBookingRoutes(router, o.storage, o.calendar),
  theatre: (router, o) => registerTheatreRoutes(router, o.storage, o.calendar),
};

/** One app of the estate as an HTTP server (not yet listening). */
export function createAppServer(options: AppServerOptions): http.Server {
  const router = new Router();
  addProbeRoutes(router, options);
  APPS[options.service](router, options);
  addBatchRoute(router);
  return createHttpServer(router, options.site);
}
