import { MemoryCallSlots } from "./call-slots.js";
import { callSlotsContract } from "./call-slots-testing.js";

callSlotsContract("MemoryCallSlots", async () => ({ slots: new MemoryCallSlots(), cleanup: async () => {} }));
