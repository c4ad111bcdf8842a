import { expect, test } from "@playwright/test";
import { Validator } from "@seriousme/openapi-schema-validator";

test("the API's OpenAPI document is valid against the OpenAPI 3.1 schema", async ({ request }) => {
  const response = await request.get("/api/v1/openapi.json");
  expect(response.status()).toBe(200);
  const validator = new Validator();
  const result = await validator.validate(await response.json());
  expect(result.errors ?? []).toEqual([]);
  expect(result.valid).toBe(true);
  expect(validator.version).toBe("3.1");
});
