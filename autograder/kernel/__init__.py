"""The code that runs inside the student's kernel while a notebook is graded: the trust boundary.

Test cells import it after student code has run, so it imports nothing of the rest of the grader
(tests/test_kernel_boundary.py), only the standard library, numpy and IPython (the kernel itself):

* ``harness``: how student code is called (quietly, on a CPU budget, crashes turned into messages);
* ``measure``: what a wrong array is (shape, a factor, sign, NaN, which entries);
* ``diagnosis``: how a failure names its cause;
* ``integrity``: the record of numpy, builtins and IPython that student code must leave alone;
* ``cell_errors``: the errors a graded cell can end with, by the name the grader reads back;
* one package per assignment with its hidden tests (``task4_1``: ``checks``, ``contract``, ``diagnoses``).
"""
