import re, subprocess, sys
G=["git","--git-dir=/work/.mirror/pomerium+pomerium/repo"]
def files(tag):
    # config/ and its sub-packages (config/otelconfig holds the squashed OpenTelemetry options)
    out=subprocess.run(G+["ls-tree","-r","--name-only",tag,"config/"],capture_output=True,text=True).stdout.split()
    return [f for f in out if f.endswith(".go") and not f.endswith("_test.go")]
def structs(tag):
    res={}
    for f in files(tag):
        src=subprocess.run(G+["show",f"{tag}:{f}"],capture_output=True,text=True).stdout
        for m in re.finditer(r'^type (\w+) struct \{', src, re.M):
            i=m.end(); depth=1; j=i
            while depth and j<len(src):
                if src[j]=='{': depth+=1
                elif src[j]=='}': depth-=1
                j+=1
            body=src[i:j-1]
            fields=[]
            d=0
            for line in body.split("\n"):
                s=line.strip()
                if d==0:
                    m2=re.match(r'^(\w+)\s+(\S+)\s+`([^`]*)`',s) or re.match(r'^(\w+)()\s*`([^`]*)`',s)
                    if m2:
                        name,typ,tags=m2.groups()
                        if not typ: typ=name
                        t=re.search(r'mapstructure:"([^"]*)"',tags)
                        fields.append((name,typ,t.group(1) if t else None))
                d+=line.count('{')-line.count('}')
            # a struct of a sub-package is named as Go code refers to it (otelconfig.Config)
            parts=f.split("/")
            name=m.group(1) if len(parts)==2 else parts[-2]+"."+m.group(1)
            res.setdefault(name,(fields,f))
    return res
def bind(tag):
    minor=int(tag.split('.')[1])
    S=structs(tag)
    out={}
    if minor<=22:
        for name,typ,t in S["Options"][0]:
            if t is None: continue
            out[t.upper()]=t
        for name,typ,t in S["AutocertOptions"][0]:
            if t is None: continue
            out[t.upper()]=t
    else:
        def rec(sname,kp,ep):
            anyt=False
            for name,typ,t in S[sname][0]:
                if t is None or t=="-": continue
                anyt=True
                key=t.split(",")[0]
                keypath=kp+key; env=ep+key.upper()
                if typ in S and not typ.startswith("*"):
                    nkp=keypath+("." if key else ""); nep=env+("_" if key else "")
                    if rec(typ,nkp,nep): continue
                if key: out[env]=keypath
            return anyt
        rec("Options","","")
    out["POLICY"]="policy"
    out["HEADERS"]="headers" if minor<=15 else "set_response_headers"
    return out
tags=[f"v0.{m}.0" for m in range(10,34)]
allb={}
for t in tags:
    b=bind(t)
    for env,key in b.items():
        allb.setdefault((env,key),[]).append(int(t.split('.')[1]))
rows=[]
for (env,key),ms in allb.items():
    # contiguous ranges
    ms=sorted(ms); start=ms[0]; prev=ms[0]
    for m in ms[1:]+[None]:
        if m is not None and m==prev+1: prev=m; continue
        rows.append((env,key,start,prev))
        if m is not None: start=m; prev=m
for env,key,a,b in sorted(rows):
    print(f"{env}\t{key}\t0.{a}\t{'-' if b==33 else '0.'+str(b)}")
