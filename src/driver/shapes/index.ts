// The built-in shapes. `pressure` lives in its own file (written with plan/); it is loaded when present, so
// a tree without it still runs every other phase and says plainly when a scenario needs it.
import { hasShape, registerShape, type LoadShape } from '../shape.js';
import './ramp.js';
import './hold.js';

const unavailable = new Map<string, string>();
const pressureModule = './pressure.js';
try {
  const mod = (await import(pressureModule)) as Record<string, unknown>;
  // The file registers itself; if it only exports its shape, register that.
  if (!hasShape('pressure')) {
    for (const v of Object.values(mod)) {
      const s = v as Partial<LoadShape> | null;
      if (s && typeof s === 'object' && s.kind === 'pressure' && typeof s.target === 'function') registerShape(s as LoadShape);
    }
  }
} catch (err) {
  const missing = (err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String((err as Error).message).includes('shapes/pressure.js');
  // A broken pressure file must not take ramp and hold down with it: the reason is shown when needed.
  unavailable.set('pressure', missing ? 'this simload has no pressure phase (driver/shapes/pressure.ts is missing)' : `the pressure phase failed to load: ${(err as Error).message}`);
}

/** Why a shape is not registered, when it is known. */
export function shapeUnavailableReason(kind: string): string | null {
  return unavailable.get(kind) ?? null;
}
