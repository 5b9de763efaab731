import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { json } from "@remix-run/node";
import { Form, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { BlockStack, Button, Card, FormLayout, InlineStack, Page, TextField } from "@shopify/polaris";
import { useCallback, useState } from "react";
import { z } from "zod";
import { AppToast } from "~/components/AppToast";
import { CsrfInput } from "~/components/CsrfInput";
import { useActionToast } from "~/hooks/useActionToast";
import { saveOrganizationName } from "~/lib/sessions/clients.server";
import { requireActionSession } from "~/lib/sessions/csrf.server";
import { requireAppSession } from "~/lib/sessions/core.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const session = await requireAppSession(request);
  return json({ organizationName: session.organizationName ?? "" });
}

/** The field's limit, enforced by the browser (maxLength) and again here. */
const MAX_NAME_LENGTH = 100;

// Messages in a merchant's words: what to change, not which rule failed.
const settingsSchema = z.object({
  organizationName: z
    .string()
    .trim()
    .min(2, "Enter at least 2 characters.")
    .max(MAX_NAME_LENGTH, `Names can be up to ${MAX_NAME_LENGTH} characters.`)
    .regex(/^[^<>]*$/u, "Names can't contain < or >.")
    .regex(/^[^\p{Cc}]*$/u, "Names can't contain line breaks or tabs."),
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
  // The error shown is the last answer's, until the merchant edits the field again.
  const [editedSinceResult, setEditedSinceResult] = useState<typeof result>(undefined);
  const error = result && !result.ok && editedSinceResult !== result ? result.errors.organizationName : undefined;
  // Save means something only when the field differs from what is saved (the loader revalidates after a save).
  const changed = value.trim() !== organizationName;
  const dismissToast = toast.dismiss;
  const onChange = useCallback(
    (next: string) => {
      setValue(next);
      setEditedSinceResult(result);
      // A new edit: the previous confirmation no longer describes the form.
      dismissToast();
    },
    [result, dismissToast],
  );

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
                onChange={onChange}
                autoComplete="organization"
                helpText="Shown on your dashboard."
                maxLength={MAX_NAME_LENGTH}
                showCharacterCount
                error={error}
              />
            </FormLayout>
            <InlineStack align="end">
              <Button submit variant="primary" disabled={!changed} loading={navigation.state === "submitting"}>
                Save
              </Button>
            </InlineStack>
          </BlockStack>
        </Form>
      </Card>
      {toast.text ? <AppToast content={toast.text} onDismiss={toast.dismiss} /> : null}
    </Page>
  );
}
