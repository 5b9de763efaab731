import { Link as RemixLink } from "@remix-run/react";
import type { AppProviderProps } from "@shopify/polaris";
import { forwardRef, type ComponentProps } from "react";

type LinkLikeComponentProps = ComponentProps<NonNullable<AppProviderProps["linkComponent"]>>;

/**
 * Polaris's links and url buttons, rendered by Remix for the app's own
 * pages: a client-side navigation goes through fetch, so it carries the
 * session's Bearer token where the browser refuses the cookie (a plain <a>
 * would load a document with no credential at all). External URLs, other
 * targets and downloads stay plain anchors.
 */
export const PolarisLink = forwardRef<HTMLAnchorElement, LinkLikeComponentProps>(function PolarisLink(
  { url, external, target, download, children, ...rest },
  ref,
) {
  const ownPage = url.startsWith("/") && !url.startsWith("//") && !external && !download && (!target || target === "_self");
  if (ownPage) {
    return (
      <RemixLink ref={ref} to={url} {...rest}>
        {children}
      </RemixLink>
    );
  }
  return (
    <a
      ref={ref}
      href={url}
      target={external ? "_blank" : target}
      rel={external ? "noopener noreferrer" : rest.rel}
      download={download}
      {...rest}
    >
      {children}
    </a>
  );
});
