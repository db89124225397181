// The portal's entry: Griffel (Fluent UI's styles) gets this page's CSP nonce, so its <style>
// elements pass a style-src without 'unsafe-inline'.
import {
  createDOMRenderer,
  FluentProvider,
  RendererProvider,
  webLightTheme,
} from '@fluentui/react-components';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { SessionProvider } from './auth/session';

const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content;
const renderer = createDOMRenderer(document, {
  styleElementAttributes: nonce && nonce !== '__CSP_NONCE__' ? { nonce } : undefined,
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <RendererProvider renderer={renderer} targetDocument={document}>
      <FluentProvider theme={webLightTheme}>
        <SessionProvider>
          <App />
        </SessionProvider>
      </FluentProvider>
    </RendererProvider>
  </StrictMode>,
);
