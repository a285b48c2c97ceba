"""Independent computation of the SQS attribute MD5 vectors used in src/md5.rs (run: python3 md5_vectors.py)."""
import hashlib, struct
def f(b): return struct.pack('>I', len(b)) + b
def md5(attrs):
    h = hashlib.md5()
    for name in sorted(attrs):
        t, v = attrs[name]
        h.update(f(name.encode())); h.update(f(t.encode()))
        if isinstance(v, bytes): h.update(b'\x02'); h.update(f(v))
        else: h.update(b'\x01'); h.update(f(v.encode()))
    return h.hexdigest()
print(md5({'attr1': ('String','value1')}))
print(md5({'b': ('Binary', bytes([0,1,2])), 'a': ('Number.int','42'), 'AWSTraceHeader': ('String','Root=1-5759e988-bd862e3fe1be46a994272793')}))
