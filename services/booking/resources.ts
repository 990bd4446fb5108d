import { meta, reference } from '../common/fhir';
import type { Rec } from '../common/records';
import type { CatalogueSlot } from './catalogue';
import type { AppointmentDoc, SlotDoc } from './schemas';

/** Catalogue slots and stored booking documents as FHIR R4 resources. */

export function scheduleResource(clinic: string, dates: string[]) {
  return {
    resourceType: 'Schedule' as const,
    id: clinic,
    active: true,
    serviceType: [{ text: clinic }],
    ...(dates.length ? { planningHorizon: { start: `${dates[0]}T00:00:00Z`, end: `${dates[dates.length - 1]}T23:59:59Z` } } : {}),
  };
}

/** A catalogue slot with its stored state, if it was ever written (else free, never versioned). */
export function slotResource(slot: CatalogueSlot, stored?: Rec<SlotDoc>) {
  return {
    resourceType: 'Slot' as const,
    id: slot.id,
    ...(stored ? { meta: meta(stored.version, stored.doc.idempotencyKey) } : {}),
    schedule: reference('Schedule', slot.clinic),
    status: stored?.doc.status ?? ('free' as const),
    start: slot.start,
    end: slot.end,
  };
}

export function appointmentResource({ id, version, doc }: Rec<AppointmentDoc>) {
  return {
    resourceType: 'Appointment' as const,
    id,
    meta: meta(version, doc.idempotencyKey),
    ...(doc.identifier?.length ? { identifier: doc.identifier } : {}),
    status: doc.status,
    ...(doc.cancellationReason ? { cancelationReason: { text: doc.cancellationReason } } : {}),
    serviceType: [{ text: doc.clinic }],
    slot: [reference('Slot', doc.slot)],
    participant: [{ actor: reference('Patient', doc.patient), status: 'accepted' as const }],
    start: doc.start,
    end: doc.end,
    created: doc.created,
  };
}
