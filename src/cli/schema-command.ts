import { z } from "zod";
import { policySchema } from "../validation/policy-schema.js";

/** The JSON Schema of the policy file, generated from the zod schema the server itself validates with. */
export function policyJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(policySchema, { io: "input", target: "draft-2020-12" }),
    $id: "https://ccmux.invalid/policy.schema.json",
    title: "ccmux policy",
  };
}
