import type { WrappedZoneKeyWire, ZoneWire } from '@coffer/protocol';
import type { ZoneInfo } from '@coffer/storage';
import { zoneIdFor, type RequestTarget } from '../http/request-target.js';

export function encodeZone(target: RequestTarget, zone: ZoneInfo): ZoneWire {
  const wire: ZoneWire = { zoneID: zoneIdFor(target, zone.zoneName) };
  if (zone.deleted) {
    wire.deleted = true;
    return wire;
  }
  wire.atomic = zone.atomic;
  if (Array.isArray(zone.zoneKeys)) wire.zoneKeys = zone.zoneKeys as WrappedZoneKeyWire[];
  return wire;
}
