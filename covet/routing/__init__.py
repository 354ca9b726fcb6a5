"""Routing: path templates, convertors, the segment trie, routes and the router."""

from covet.routing.controller import Controller
from covet.routing.convertors import Convertor, register_convertor
from covet.routing.router import Router
from covet.routing.routes import Mount, Route, WebSocketRoute
from covet.routing.trie import UnreachableRouteWarning

__all__ = [
    "Controller",
    "Convertor",
    "Mount",
    "Route",
    "Router",
    "UnreachableRouteWarning",
    "WebSocketRoute",
    "register_convertor",
]
