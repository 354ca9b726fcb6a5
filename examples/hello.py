"""The quick-start application: ``covet run examples.hello:app``."""

from covet import CovetPy

app = CovetPy()


@app.get("/")
async def hello_world() -> dict[str, str]:
    return {"message": "Hello from CovetPy!"}


@app.get("/hello/{name}")
async def greet_user(name: str) -> dict[str, str]:
    return {"greeting": f"Hello, {name}!"}
