// The built-in shapes, one file each; importing this registers them all.
import './ramp.js';
import './hold.js';
import './pressure.js';
