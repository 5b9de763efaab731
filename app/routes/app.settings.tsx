import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { BlockStack, Button, Card, FormLayout, Page, TextField } from "@shopify/polaris";
import { useState } from "react";
import { z } from "zod";
import { AppToast } from "~/components/AppToast";
import { CsrfInput } from "~/components/CsrfInput";
import { useActionToast } from "~/hooks/useActionToast";
import { saveOrganizationName } from "~/lib/clients.server";
import { requireActionSession } from "~/lib/csrf.server";
import { requireAppSession } from "~/lib/sessions.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requireAppSession(request);
  return json({ organizationName: session.organizationName ?? "" });
}

const settingsSchema = z.object({
  organizationName: z
    .string()
    .trim()
    .min(2, "Enter at least 2 characters.")
    .max(100, "Use at most 100 characters.")
    .regex(/^[^\p{Cc}<>]*$/u, "Remove control characters and angle brackets."),
});

export async function action({ request }: ActionFunctionArgs) {
  const { session, form } = await requireActionSession(request);
  const parsed = settingsSchema.safeParse({ organizationName: form.get("organizationName") ?? "" });
  if (!parsed.success) {
    return json(
      { ok: false as const, errors: { organizationName: parsed.error.issues[0]?.message ?? "Invalid value." } },
      { status: 400 },
    );
  }
  await saveOrganizationName(session, parsed.data.organizationName);
  return json({ ok: true as const, organizationName: parsed.data.organizationName });
}

export default function Settings() {
  const { organizationName } = useLoaderData<typeof loader>();
  const result = useActionData<typeof action>();
  const navigation = useNavigation();
  const [value, setValue] = useState(organizationName);
  const toast = useActionToast(result, (r) => (r.ok ? "Settings saved" : null));

  return (
    <Page title="Settings" narrowWidth>
      <Card>
        <Form method="post">
          <CsrfInput />
          <BlockStack gap="400">
            <FormLayout>
              <TextField
                label="Organization name"
                name="organizationName"
                value={value}
                onChange={setValue}
                autoComplete="organization"
                helpText="Shown on your dashboard."
                error={result && !result.ok ? result.errors.organizationName : undefined}
              />
            </FormLayout>
            <Button submit variant="primary" loading={navigation.state === "submitting"}>
              Save
            </Button>
          </BlockStack>
        </Form>
      </Card>
      {toast.text ? <AppToast content={toast.text} onDismiss={toast.dismiss} /> : null}
    </Page>
  );
}
