// crm_web's own behaviour, loaded on every page (no inline scripts: the CSP forbids them).
