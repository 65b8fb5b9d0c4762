"""Tenancy: lenders (tenants), their domains, and provisioning."""
