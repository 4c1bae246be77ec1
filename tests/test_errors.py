from assetmap.errors import InputError, InputErrors


def test_input_error_names_file_row_field():
    e = InputError("not a number", file="x.csv", row=3, field="price")
    assert str(e) == "x.csv, row 3, field 'price': not a number"
    assert e.as_dict() == {"error": "not a number", "file": "x.csv", "row": 3, "field": "price"}
    assert InputError("plain").__str__() == "plain"


def test_input_errors_lists_all():
    errs = InputErrors([InputError("a", row=1), InputError("b", row=2)])
    assert "row 1" in str(errs) and "row 2" in str(errs)
    assert errs.row == 1
