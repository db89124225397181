// The app's entry (package.json "main"): importing a module registers its functions.
import './health';
import './dev-issuer';
import './me';
import './openapi';
import './authenticators';
