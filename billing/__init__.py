"""Technology-service fee billing (public schema): plans, invoices, Stripe."""
