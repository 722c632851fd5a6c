import generator


def test_all_is_sorted_and_complete() -> None:
    assert generator.__all__ == sorted(generator.__all__)
    public = {n for n in dir(generator) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(generator.__all__)
