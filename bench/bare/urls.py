"""One endpoint: POST /api/insert stores a customer and an order."""

from decimal import Decimal

from django.db import transaction
from django.http import HttpRequest
from django.urls import path
from ninja import NinjaAPI, Schema, Status

from bench.bare.models import Customer, Order

api = NinjaAPI(title="bare calibration")


class InsertIn(Schema):
    name: str
    amount: Decimal


class InsertOut(Schema):
    customer_id: int
    order_id: int


@api.post("/insert", response={201: InsertOut})
def insert(request: HttpRequest, payload: InsertIn) -> Status[InsertOut]:
    with transaction.atomic():
        customer = Customer.objects.create(name=payload.name)
        order = Order.objects.create(customer=customer, amount=payload.amount)
    return Status(201, {"customer_id": customer.pk, "order_id": order.pk})


urlpatterns = [path("api/", api.urls)]
